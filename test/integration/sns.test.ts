import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

import { OutboxNotifier } from '../../server/adapters/outbox-notifier';
import { SnsChannel } from '../../server/adapters/sns-channel';
import { migrate } from '../../server/db/migrate';
import { OutboxDispatcher } from '../../server/notifications/outbox-dispatcher';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('notifications through SNS (fauxqs emulator)', () => {
  let server: Awaited<ReturnType<typeof startFauxqs>>;
  let sns: SNSClient;
  let sqs: SQSClient;
  let database: TestDatabase;
  before(async () => {
    server = await startFauxqs({ port: 0, logger: false });
    const settings = { endpoint: server.address, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    sns = new SNSClient(settings);
    sqs = new SQSClient(settings);
    database = await createTestDatabase('sns');
    await migrate(database.pool);
  });
  after(async () => {
    sns?.destroy();
    sqs?.destroy();
    await server?.stop();
    await database?.drop();
  });

  it('creates a topic, manages e-mail subscriptions and publishes the outbox with its subject', async () => {
    let chosen: string | null = null;
    const channel = new SnsChannel(sns, async () => chosen);
    await assert.rejects(channel.deliver({ subject: 's', body: 'b' }), /No SNS topic yet/);
    const topicArn = await channel.createTopic('stockflow-notifications');
    chosen = topicArn;
    assert.match(topicArn, /^arn:aws:sns:us-east-1:\d+:stockflow-notifications$/);
    await channel.subscribeEmail('ops@example.com');
    // An SQS subscriber lets the test read what SNS actually delivered.
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'stockflow-spy' }));
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: attributes.Attributes!.QueueArn! }));
    const subscriptions = await channel.listSubscriptions();
    assert.deepEqual(subscriptions.map((subscription) => subscription.protocol).sort(), ['email', 'sqs']);
    assert.equal(subscriptions.find((subscription) => subscription.protocol === 'email')!.endpoint, 'ops@example.com');

    // The notify step publishes before it returns; the dispatcher finds nothing left to send.
    const { id, delivered } = await new OutboxNotifier(database.pool, channel).send({ runId: 'r1', outcome: 'success', subject: 'C1_Ada_Lovelace_Pipeline_Success', body: 'loaded 10 rows\n' });
    assert.equal(delivered, true);
    assert.equal(await new OutboxDispatcher({ pool: database.pool, channel, log: { log: () => {} } }).dispatchDue(), 0);
    const row = await database.pool.query('SELECT status, delivery_id FROM stockflow.outbox WHERE id = $1', [id]);
    assert.equal(row.rows[0].status, 'sent');
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl!, WaitTimeSeconds: 1 }));
    const envelope = JSON.parse(received.Messages![0]!.Body!) as { Subject: string; Message: string; MessageId: string };
    assert.equal(envelope.Subject, 'C1_Ada_Lovelace_Pipeline_Success');
    assert.equal(envelope.Message, 'loaded 10 rows\n');
    assert.equal(envelope.MessageId, row.rows[0].delivery_id);

    const sqsSubscription = subscriptions.find((subscription) => subscription.protocol === 'sqs')!;
    await channel.unsubscribe(sqsSubscription.arn!);
    assert.deepEqual(
      (await channel.listSubscriptions()).map((subscription) => subscription.protocol),
      ['email'],
    );
  });
});
