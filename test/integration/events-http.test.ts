import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { parseBucketLocation } from '../../server/config';
import { migrate } from '../../server/db/migrate';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { startEventsServer } from '../../server/trigger/events-http-server';
import { httpsGetter, SnsVerifier } from '../../server/trigger/sns-signature';
import { type FakeSns, startFakeSns } from '../fixtures/fake-sns';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

// Fixtures follow AWS's documented examples (sources: test/fixtures/README.md).

const silent = { log: () => {} };
const SECRET = 'a-long-shared-secret-value';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:stockflow-markers';
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`test/fixtures/${name}`, 'utf8')) as Record<string, unknown>;

interface Answer {
  status: number;
  body: { runs?: Array<{ created: boolean; key: string; version: string }>; ignored?: number; ignoredBy?: Record<string, number>; confirmed?: string[]; error?: string; problems?: string[] };
}

describe('the events HTTP endpoint', () => {
  let database: TestDatabase;
  let orchestrator: EmbeddedOrchestrator;
  let sns: FakeSns;
  let server: { url: string; close(): Promise<void> };

  before(async () => {
    database = await createTestDatabase('events_http');
    await migrate(database.pool);
    orchestrator = new EmbeddedOrchestrator(new RunRepository(database.pool));
    sns = await startFakeSns();
    server = await startEventsServer({
      pool: database.pool,
      orchestrator,
      secret: SECRET,
      port: 0,
      log: silent,
      bucket: parseBucketLocation('s3://stockflow-monitored'),
      snsTopicArn: TOPIC,
      // SNS's certificate host is played by the local https server (test CA).
      snsVerifier: new SnsVerifier({ isTrustedHost: (host) => host === sns.host, httpsGet: httpsGetter({ ca: sns.ca }) }),
    });
  });
  after(async () => {
    await server?.close();
    await sns?.close();
    await database?.drop();
  });

  async function runCount(): Promise<number> {
    return (await database.pool.query('SELECT count(*)::int AS n FROM stockflow.runs')).rows[0].n;
  }
  async function post(body: unknown, url = server.url): Promise<Answer> {
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  }
  /** Posts, and checks that nothing started. */
  async function refused(body: unknown, status: number, reason: RegExp): Promise<void> {
    const before = await runCount();
    const answer = await post(body);
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.match(answer.body.error ?? '', reason);
    assert.equal(await runCount(), before, 'nothing started');
  }

  it('takes the shared secret as bearer, header or ?token=, and starts one run per marker even when the event comes twice', async () => {
    const event = readFileSync('test/fixtures/s3-event-put.json', 'utf8');
    const send = (headers: Record<string, string>, url = server.url) => fetch(url, { method: 'POST', headers, body: event });
    assert.equal((await send({})).status, 401);
    assert.equal((await send({ authorization: 'Bearer wrong-secret-of-same-size!' })).status, 401);
    const before = await runCount();
    const first = await post(event);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.runs?.map((run) => [run.created, run.key, run.version]),
      [[true, 'daily/2026-11-25/.SUCCESS', '0055AED6DCD90281E5']],
    );
    assert.deepEqual(first.body.ignoredBy, { 'not-a-marker': 1 });
    const again = (await (await send({ 'x-stockflow-secret': SECRET })).json()) as Answer['body'];
    assert.deepEqual(
      again.runs?.map((run) => run.created),
      [false],
    );
    const byQuery = (await (await send({}, `${server.url}?token=${SECRET}`)).json()) as Answer['body'];
    assert.deepEqual(
      byQuery.runs?.map((run) => run.created),
      [false],
    );
    assert.equal(await runCount(), before + 1);
  });

  it('starts a second run for a re-upload (a new versionId), not for the same upload again', async () => {
    const upload = fixture('s3-event-versioned.json');
    const reupload = JSON.parse(JSON.stringify(upload).replace('3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY', 'a-new-version-id')) as unknown;
    const before = await runCount();
    const first = await post(upload);
    assert.deepEqual([first.body.runs?.map((run) => run.created), first.body.ignoredBy], [[true], { 'not-object-created': 1 }]);
    assert.deepEqual(
      (await post(upload)).body.runs?.map((run) => run.created),
      [false],
    );
    assert.deepEqual(
      (await post(reupload)).body.runs?.map((run) => run.created),
      [true],
    );
    assert.equal(await runCount(), before + 2);
  });

  it('takes EventBridge events and ignores S3 test events and other buckets (counted)', async () => {
    const before = await runCount();
    const eventBridge = await post(fixture('eventbridge-object-created.json'));
    assert.deepEqual(
      eventBridge.body.runs?.map((run) => [run.key, run.version]),
      [['daily/2026-11-27/.SUCCESS', 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e']],
    );
    const test = await post(fixture('s3-test-event.json'));
    assert.deepEqual([test.status, test.body.runs, test.body.ignoredBy], [200, [], { 'test-event': 1 }]);
    const otherBucket = await post(JSON.stringify(fixture('s3-event-put.json')).replaceAll('stockflow-monitored', 'someone-elses-bucket'));
    assert.deepEqual([otherBucket.status, otherBucket.body.runs, otherBucket.body.ignored, otherBucket.body.ignoredBy], [200, [], 2, { 'other-bucket': 2 }]);
    assert.equal(await runCount(), before + 1);
  });

  for (const version of ['1', '2'] as const) {
    it(`takes SNS notifications signed with SignatureVersion ${version} (URL-decoding the key)`, async () => {
      const message = { ...fixture('sns-wrapped-s3-event.json'), MessageId: `signed-v${version}` };
      const answer = await post(sns.sign(message, version));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(
        answer.body.runs?.map((run) => run.key),
        ['batch 2026/11/25/.SUCCESS'],
      );
    });
  }

  it("takes Lambda's SNS event shape and an SQS event whose bodies are S3, signed SNS and EventBridge messages", async () => {
    const lambdaSns = fixture('lambda-sns-event.json');
    const record = (lambdaSns.Records as Array<{ Sns: Record<string, unknown> }>)[0]!;
    const { SigningCertUrl: _url, ...unsignedSns } = record.Sns;
    const viaLambdaShape = await post({ Records: [{ ...record, Sns: sns.sign(unsignedSns, '2') }] });
    assert.deepEqual(
      viaLambdaShape.body.runs?.map((run) => [run.created, run.key]),
      [[true, 'daily/2026-12-01/.SUCCESS']],
    );

    const sqs = fixture('sqs-lambda-event.json');
    const records = sqs.Records as Array<{ body: string }>;
    records[1]!.body = JSON.stringify(sns.sign(JSON.parse(records[1]!.body) as Record<string, unknown>, '1'));
    const answer = await post(sqs);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(
      answer.body.runs?.map((run) => [run.created, run.key]),
      [
        [true, 'daily/2026-11-28/.SUCCESS'],
        [true, 'daily/2026-11-29/.SUCCESS'],
        [true, 'daily/2026-11-30/.SUCCESS'],
      ],
    );
    assert.deepEqual(answer.body.ignoredBy, { 'test-event': 1 });
  });

  it('refuses unverifiable SNS messages with 403 and starts nothing', async () => {
    const signed = sns.sign(fixture('sns-wrapped-s3-event.json') as { Message: string }, '2');
    await refused(fixture('sns-wrapped-s3-event.json'), 403, /not on an SNS host: sns\.us-east-1\.amazonaws\.com/);
    await refused({ ...signed, Message: signed.Message.replace('.SUCCESS', 'x.SUCCESS') }, 403, /does not match/);
    await refused({ ...signed, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other-topic' }, 403, /other-topic is not the configured topic/);
    await refused({ ...signed, SigningCertURL: signed.SigningCertURL.replace('https:', 'http:') }, 403, /must be https/);
    await refused({ ...signed, SigningCertURL: 'https://sns.us-east-1.amazonaws.com.attacker.example/cert.pem' }, 403, /not on an SNS host/);
    // One bad envelope in an SQS batch refuses the whole delivery.
    const sqs = fixture('sqs-lambda-event.json');
    await refused(sqs, 403, /not on an SNS host/);
  });

  it('confirms a subscription to the configured topic, refuses one to another topic, and only logs an unsubscribe', async () => {
    const confirmation = sns.sign({ ...fixture('sns-subscription-confirmation.json'), SubscribeURL: sns.subscribeUrl(TOPIC) }, '1');
    const asked = (topic: string): number => sns.requests.filter((path) => path.includes(encodeURIComponent(topic))).length;
    const answer = await post(confirmation);
    assert.deepEqual([answer.status, answer.body.confirmed], [200, [TOPIC]]);
    assert.equal(asked(TOPIC), 1);

    const otherTopic = 'arn:aws:sns:us-east-1:666666666666:someone-else';
    const foreign = sns.sign({ ...fixture('sns-subscription-confirmation.json'), TopicArn: otherTopic, SubscribeURL: sns.subscribeUrl(otherTopic) }, '1');
    await refused(foreign, 403, /someone-else is not the configured topic/);
    assert.equal(asked(otherTopic), 0, 'a foreign subscription is not confirmed');

    const unsubscribe = sns.sign({ ...fixture('sns-unsubscribe-confirmation.json'), SubscribeURL: sns.subscribeUrl(TOPIC) }, '2');
    const unsubscribed = await post(unsubscribe);
    assert.deepEqual([unsubscribed.status, unsubscribed.body.confirmed], [200, undefined]);
    assert.equal(asked(TOPIC), 1, 'an unsubscribe is not undone');
  });

  it('answers bad input with 400 and the reason (S3 would otherwise redeliver forever), starting nothing', async () => {
    const badKey = JSON.parse(JSON.stringify(fixture('s3-event-put.json')).replace('daily/2026-11-25/.SUCCESS', 'daily/50%/.SUCCESS')) as unknown;
    await refused(badKey, 400, /bad %-encoding in the key "daily\/50%\/\.SUCCESS"/);
    const noVersion = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'stockflow-monitored' }, object: { key: 'x/.SUCCESS', eTag: 'd41d8cd98f00b204e9800998ecf8427e' } } }] };
    await refused(noVersion, 400, /s3\.object\.versionId: the event for x\/\.SUCCESS has neither a versionId nor a sequencer/);
    await refused('not json', 400, /not JSON/);
    await refused({ Records: [{}] }, 400, /not a supported event/);
    // All or nothing: the good message of a batch does not start while another is bad.
    const good = {
      eventSource: 'aws:sqs',
      messageId: 'good',
      body: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'stockflow-monitored' }, object: { key: 'new/.SUCCESS', sequencer: '0A' } } }] }),
    };
    await refused({ Records: [good, { ...good, messageId: 'bad', body: '{' }] }, 400, /SQS message bad: body is not JSON/);
  });

  it('refuses SNS without a configured topic, and answers 503 without an S3 bucket to match', async () => {
    const bare = { pool: database.pool, orchestrator, secret: SECRET, port: 0, log: silent };
    const noTopic = await startEventsServer({ ...bare, bucket: parseBucketLocation('s3://stockflow-monitored'), snsTopicArn: undefined });
    const folder = await startEventsServer({ ...bare, bucket: parseBucketLocation('/tmp/monitored'), snsTopicArn: TOPIC });
    try {
      const signed = sns.sign(fixture('sns-wrapped-s3-event.json'), '2');
      const answer = await post(signed, noTopic.url);
      assert.deepEqual([answer.status, answer.body.error], [403, 'SNS messages are refused: set STOCKFLOW_EVENTS_SNS_TOPIC_ARN to the topic allowed to post here']);
      assert.equal((await post(fixture('s3-event-put.json'), folder.url)).status, 503);
    } finally {
      await noTopic.close();
      await folder.close();
    }
  });
});
