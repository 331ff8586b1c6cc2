import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { OutboxNotifier } from '../../server/adapters/outbox-notifier';
import { SmtpChannel } from '../../server/adapters/smtp-channel';
import { migrate } from '../../server/db/migrate';
import { dueMessageIds } from '../../server/notifications/outbox-delivery';
import { OutboxDispatcher } from '../../server/notifications/outbox-dispatcher';
import { resendNotification } from '../../server/notifications/resend';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

/** Issue #9, items 10 and 11: mail goes out exactly once, and an outage of a day loses none. */
describe('faults: notifications against a real SMTP listener', () => {
  let database: TestDatabase;
  let smtp: TestSmtp;

  before(async () => {
    [database, smtp] = await Promise.all([createTestDatabase('faults_mail'), startTestSmtp()]);
    await migrate(database.pool);
  });
  after(async () => {
    await smtp?.close();
    await database?.drop();
  });

  it('sends a message once when the notify step and the dispatcher reach for it together', async () => {
    const channel = new SmtpChannel({ url: smtp.url, from: 'stockflow@example.com', to: ['ops@example.com'] });
    const before = smtp.received.length;
    const dispatchers = [1, 2, 3].map(() => new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} } }));
    const [receipt] = await Promise.all([
      new OutboxNotifier(database.pool, channel).send({ runId: 'r-race', outcome: 'success', subject: 'C1_Ada_Lovelace_Pipeline_Success', body: 'race\n' }),
      ...dispatchers.map((dispatcher) => dispatcher.dispatchDue()),
      ...dispatchers.map((dispatcher) => dispatcher.dispatchDue()),
    ]);
    for (const dispatcher of dispatchers) await dispatcher.dispatchDue();
    assert.equal(smtp.received.filter((mail) => mail.data.includes('race')).length, 1);
    assert.equal(smtp.received.length, before + 1);
    const row = await database.pool.query('SELECT status, attempts FROM stockflow.outbox WHERE id = $1', [receipt.id]);
    assert.deepEqual(row.rows[0], { status: 'sent', attempts: 1 });
    channel.close();
  });

  it('retries undelivered mail for a day with capped backoff, then waits for an operator to resend it', async () => {
    const channel = new SmtpChannel({ url: smtp.url, from: 'stockflow@example.com', to: ['ops@example.com'] });
    const before = smtp.received.length;
    smtp.refuse = true;
    const { id } = await new OutboxNotifier(database.pool, channel, { attempts: 1 }).send({ runId: 'r-outage', outcome: 'failure', subject: 'C1_Ada_Lovelace_Pipeline_Failure', body: 'outage\n' });
    const dispatcher = new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} } });
    const row = async () => (await database.pool.query('SELECT status, attempts FROM stockflow.outbox WHERE id = $1', [id])).rows[0];
    // Hours into an outage: many attempts made, the delay is capped at 30 minutes, never given up.
    await database.pool.query("UPDATE stockflow.outbox SET attempts = 12, last_attempt_at = now() - interval '29 minutes', retry_window_start = now() - interval '6 hours' WHERE id = $1", [id]);
    assert.deepEqual(await dueMessageIds(database.pool, 'smtp'), [], 'not due before the capped delay');
    await database.pool.query("UPDATE stockflow.outbox SET last_attempt_at = now() - interval '31 minutes' WHERE id = $1", [id]);
    assert.deepEqual(await dueMessageIds(database.pool, 'smtp'), [id]);
    assert.equal(await dispatcher.dispatchDue(), 0);
    assert.deepEqual(await row(), { status: 'pending', attempts: 13 }, 'still retried after 13 failed attempts');
    // A day later it is given up on...
    await database.pool.query("UPDATE stockflow.outbox SET last_attempt_at = now() - interval '31 minutes', retry_window_start = now() - interval '25 hours' WHERE id = $1", [id]);
    await dispatcher.dispatchDue();
    assert.deepEqual(await row(), { status: 'failed', attempts: 14 });
    // ...until an operator resends it, once the mail server is back.
    smtp.refuse = false;
    assert.deepEqual(await resendNotification(database.pool, channel, '999999'), { outcome: 'not-failed' });
    const resent = await resendNotification(database.pool, channel, id);
    assert.equal(resent.outcome, 'sent');
    assert.equal((await row()).status, 'sent');
    assert.equal(smtp.received.length, before + 1);
    assert.deepEqual(await resendNotification(database.pool, channel, id), { outcome: 'not-failed' }, 'a sent mail is not sent again');
    channel.close();
  });
});
