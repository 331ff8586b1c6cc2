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

  it('delivers a pipeline notification by SMTP and records it as sent', async () => {
    const channel = new SmtpChannel({ url: `smtp://127.0.0.1:${port}`, from: 'stockflow@example.com', to: ['ops@example.com', 'data@example.com'] });
    const notifier = new OutboxNotifier(database.pool, 'smtp');
    const receipt = await notifier.send({ runId: 'r1', outcome: 'failure', subject: 'C1_Ada_Lovelace_Pipeline_Failure', body: 'step load failed\n' });
    assert.equal(receipt.channel, 'smtp');
    const dispatcher = new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} } });
    assert.equal(await dispatcher.dispatchDue(), 1);
    assert.equal(received.length, 1);
    assert.deepEqual(received[0]!.to, ['ops@example.com', 'data@example.com']);
    assert.match(received[0]!.data, /Subject: C1_Ada_Lovelace_Pipeline_Failure/);
    assert.match(received[0]!.data, /step load failed/);
    const row = await database.pool.query('SELECT status, attempts, delivery_id FROM stockflow.outbox WHERE id = $1', [receipt.id]);
    assert.equal(row.rows[0].status, 'sent');
    assert.equal(row.rows[0].attempts, 1);
    assert.ok(row.rows[0].delivery_id);
    assert.equal(await dispatcher.dispatchDue(), 0, 'a sent message is never sent twice');
    channel.close();
  });

  it('keeps an undelivered message pending with its error, and retries it later', async () => {
    const channel = new SmtpChannel({ url: `smtp://127.0.0.1:${port}`, from: 'stockflow@example.com', to: ['ops@example.com'] });
    const { id } = await new OutboxNotifier(database.pool, 'smtp').send({ runId: 'r2', outcome: 'success', subject: 'C1_Ada_Lovelace_Pipeline_Success', body: 'ok\n' });
    const dispatcher = new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} }, baseDelayMs: 200 });
    refuse = true;
    assert.equal(await dispatcher.dispatchDue(), 0);
    const failed = await database.pool.query('SELECT status, attempts, last_error FROM stockflow.outbox WHERE id = $1', [id]);
    assert.equal(failed.rows[0].status, 'pending');
    assert.equal(failed.rows[0].attempts, 1);
    assert.match(failed.rows[0].last_error, /mailbox busy/);
    refuse = false;
    assert.equal(await dispatcher.dispatchDue(), 0, 'not before its retry delay');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await dispatcher.dispatchDue(), 1);
    const sent = await database.pool.query('SELECT status, attempts FROM stockflow.outbox WHERE id = $1', [id]);
    assert.deepEqual(sent.rows[0], { status: 'sent', attempts: 2 });
    channel.close();
  });

  it('records messages as delivered to the outbox when no mail channel is configured', async () => {
    const { id, channel } = await new OutboxNotifier(database.pool).send({ runId: 'r3', outcome: 'success', subject: 's', body: 'b' });
    assert.equal(channel, 'outbox');
    const row = await database.pool.query('SELECT status FROM stockflow.outbox WHERE id = $1', [id]);
    assert.equal(row.rows[0].status, 'sent');
  });
});
