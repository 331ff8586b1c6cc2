import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { OutboxNotifier } from '../../server/adapters/outbox-notifier';
import { SmtpChannel } from '../../server/adapters/smtp-channel';
import { migrate } from '../../server/db/migrate';
import { OutboxDispatcher } from '../../server/notifications/outbox-dispatcher';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

interface Received {
  from: string;
  to: string[];
  data: string;
}

describe('notifications through the outbox to a real SMTP listener', () => {
  let database: TestDatabase;
  let server: SMTPServer;
  let port: number;
  const received: Received[] = [];
  let refuse = false;

  before(async () => {
    database = await createTestDatabase('smtp');
    await migrate(database.pool);
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
        stream.on('end', () => {
          if (refuse) return callback(new Error('451 mailbox busy'));
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((rcpt) => rcpt.address), data });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await database?.drop();
  });

  it('delivers a pipeline notification by SMTP before send() returns and records it as sent', async () => {
    const channel = new SmtpChannel({ url: `smtp://127.0.0.1:${port}`, from: 'stockflow@example.com', to: ['ops@example.com', 'data@example.com'] });
    const before = received.length;
    const notifier = new OutboxNotifier(database.pool, channel);
    const receipt = await notifier.send({ runId: 'r1', outcome: 'failure', subject: 'C1_Ada_Lovelace_Pipeline_Failure', body: 'step load failed\n' });
    assert.equal(receipt.channel, 'smtp');
    assert.equal(receipt.delivered, true);
    assert.ok(receipt.deliveryId);
    assert.equal(received.length, before + 1);
    const mail = received.at(-1)!;
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
    const channel = new SmtpChannel({ url: `smtp://127.0.0.1:${port}`, from: 'stockflow@example.com', to: ['ops@example.com'] });
    const before = received.length;
    const notification = { runId: 'r-dedupe', outcome: 'success' as const, subject: 'C1_Ada_Lovelace_Pipeline_Success', body: 'ok\n', dedupeKey: 'r-dedupe:success:t1' };
    const first = await new OutboxNotifier(database.pool, channel).send(notification);
    const again = await new OutboxNotifier(database.pool, channel).send(notification);
    assert.equal(first.id, again.id);
    assert.equal(again.delivered, true);
    assert.equal(received.length, before + 1);
    // A new outcome of the run (a retried run) is news again.
    await new OutboxNotifier(database.pool, channel).send({ ...notification, dedupeKey: 'r-dedupe:success:t2' });
    assert.equal(received.length, before + 2);
    channel.close();
  });

  it('sends a message once when the notify step and the dispatcher reach for it together', async () => {
    const channel = new SmtpChannel({ url: `smtp://127.0.0.1:${port}`, from: 'stockflow@example.com', to: ['ops@example.com'] });
    const before = received.length;
    const dispatchers = [1, 2, 3].map(() => new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} } }));
    const [receipt] = await Promise.all([
      new OutboxNotifier(database.pool, channel).send({ runId: 'r-race', outcome: 'success', subject: 'C1_Ada_Lovelace_Pipeline_Success', body: 'race\n' }),
      ...dispatchers.map((dispatcher) => dispatcher.dispatchDue()),
      ...dispatchers.map((dispatcher) => dispatcher.dispatchDue()),
    ]);
    for (const dispatcher of dispatchers) await dispatcher.dispatchDue();
    assert.equal(received.filter((mail) => mail.data.includes('race')).length, 1);
    assert.equal(received.length, before + 1);
    const row = await database.pool.query('SELECT status, attempts FROM stockflow.outbox WHERE id = $1', [receipt.id]);
    assert.deepEqual(row.rows[0], { status: 'sent', attempts: 1 });
    channel.close();
  });

  it('keeps an undelivered message pending with its error, and the dispatcher retries it later', async () => {
    const channel = new SmtpChannel({ url: `smtp://127.0.0.1:${port}`, from: 'stockflow@example.com', to: ['ops@example.com'] });
    refuse = true;
    const receipt = await new OutboxNotifier(database.pool, channel, { attempts: 2, retryDelayMs: 10 }).send({ runId: 'r2', outcome: 'success', subject: 'C1_Ada_Lovelace_Pipeline_Success', body: 'ok\n' });
    assert.equal(receipt.delivered, false);
    assert.match(receipt.error ?? '', /mailbox busy/);
    const failed = await database.pool.query('SELECT status, attempts, last_error FROM stockflow.outbox WHERE id = $1', [receipt.id]);
    assert.equal(failed.rows[0].status, 'pending');
    assert.equal(failed.rows[0].attempts, 2, 'every attempt is recorded');
    assert.match(failed.rows[0].last_error, /mailbox busy/);
    refuse = false;
    const dispatcher = new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} }, baseDelayMs: 200 });
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
