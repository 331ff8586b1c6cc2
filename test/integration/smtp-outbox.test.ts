import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { OutboxNotifier } from '../../server/adapters/outbox-notifier';
import { SmtpChannel } from '../../server/adapters/smtp-channel';
import { migrate } from '../../server/db/migrate';
import { OutboxDispatcher } from '../../server/notifications/outbox-dispatcher';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

describe('notifications through the outbox to a real SMTP listener', () => {
  let database: TestDatabase;
  let smtp: TestSmtp;

  before(async () => {
    [database, smtp] = await Promise.all([createTestDatabase('smtp'), startTestSmtp()]);
    await migrate(database.pool);
  });
  after(async () => {
    await smtp?.close();
    await database?.drop();
  });

  it('delivers a pipeline notification by SMTP before send() returns and records it as sent', async () => {
    const channel = new SmtpChannel({ url: smtp.url, from: 'stockflow@example.com', to: ['ops@example.com', 'data@example.com'] });
    const before = smtp.received.length;
    const notifier = new OutboxNotifier(database.pool, channel);
    const receipt = await notifier.send({ runId: 'r1', outcome: 'failure', subject: 'C1_Ada_Lovelace_Pipeline_Failure', body: 'step load failed\n' });
    assert.equal(receipt.channel, 'smtp');
    assert.equal(receipt.delivered, true);
    assert.ok(receipt.deliveryId);
    assert.equal(smtp.received.length, before + 1);
    const mail = smtp.received.at(-1)!;
    assert.deepEqual(mail.to, ['ops@example.com', 'data@example.com']);
    assert.match(mail.data, /Subject: C1_Ada_Lovelace_Pipeline_Failure/);
    assert.match(mail.data, /step load failed/);
    const row = await database.pool.query('SELECT status, attempts, delivery_id FROM stockflow.outbox WHERE id = $1', [receipt.id]);
    assert.equal(row.rows[0].status, 'sent');
    assert.equal(row.rows[0].attempts, 1);
    assert.ok(row.rows[0].delivery_id);
    const dispatcher = new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} } });
    assert.equal(await dispatcher.dispatchDue(), 0, 'a sent message is never sent twice');
    channel.close();
  });

  it('mails a notification with the same dedupe key once, however often the notify step runs', async () => {
    const channel = new SmtpChannel({ url: smtp.url, from: 'stockflow@example.com', to: ['ops@example.com'] });
    const before = smtp.received.length;
    const notification = { runId: 'r-dedupe', outcome: 'success' as const, subject: 'C1_Ada_Lovelace_Pipeline_Success', body: 'ok\n', dedupeKey: 'r-dedupe:success:t1' };
    const first = await new OutboxNotifier(database.pool, channel).send(notification);
    const again = await new OutboxNotifier(database.pool, channel).send(notification);
    assert.equal(first.id, again.id);
    assert.equal(again.delivered, true);
    assert.equal(smtp.received.length, before + 1);
    // A new outcome of the run (a retried run) is news again.
    await new OutboxNotifier(database.pool, channel).send({ ...notification, dedupeKey: 'r-dedupe:success:t2' });
    assert.equal(smtp.received.length, before + 2);
    channel.close();
  });

  it('keeps an undelivered message pending with its error, and the dispatcher retries it later', async () => {
    const channel = new SmtpChannel({ url: smtp.url, from: 'stockflow@example.com', to: ['ops@example.com'] });
    smtp.refuse = true;
    const receipt = await new OutboxNotifier(database.pool, channel, { attempts: 2, retryDelayMs: 10 }).send({
      runId: 'r2',
      outcome: 'success',
      subject: 'C1_Ada_Lovelace_Pipeline_Success',
      body: 'ok\n',
    });
    assert.equal(receipt.delivered, false);
    assert.match(receipt.error ?? '', /mailbox busy/);
    const failed = await database.pool.query('SELECT status, attempts, last_error FROM stockflow.outbox WHERE id = $1', [receipt.id]);
    assert.equal(failed.rows[0].status, 'pending');
    assert.equal(failed.rows[0].attempts, 2, 'every attempt is recorded');
    assert.match(failed.rows[0].last_error, /mailbox busy/);
    smtp.refuse = false;
    const dispatcher = new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} }, retry: { baseDelayMs: 200 } });
    assert.equal(await dispatcher.dispatchDue(), 0, 'not before its retry delay');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await dispatcher.dispatchDue(), 1);
    const sent = await database.pool.query('SELECT status, attempts FROM stockflow.outbox WHERE id = $1', [receipt.id]);
    assert.deepEqual(sent.rows[0], { status: 'sent', attempts: 3 });
    channel.close();
  });

  it('records messages as delivered to the outbox when no mail channel is configured', async () => {
    const { id, channel } = await new OutboxNotifier(database.pool).send({ runId: 'r3', outcome: 'success', subject: 's', body: 'b' });
    assert.equal(channel, 'outbox');
    const row = await database.pool.query('SELECT status FROM stockflow.outbox WHERE id = $1', [id]);
    assert.equal(row.rows[0].status, 'sent');
  });
});
