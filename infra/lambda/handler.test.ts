import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import { type AirflowStub, startAirflowStub, STUB_USER } from '../../test/helpers/airflow-stub';
// @ts-expect-error: plain ESM build script without type declarations
import { buildLambda } from './build.mjs';

interface HandlerResult {
  triggered: string[];
  alreadyTriggered: string[];
  ignored: number;
  rejected: number;
}
interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}
interface BundledHandler {
  handler(event: unknown): Promise<HandlerResult | BatchResponse>;
  resetForTests(): void;
}

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`test/fixtures/${name}`, 'utf8')) as Record<string, unknown>;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:stockflow-markers';
const SQS_IDS = {
  s3: '059f36b4-87a3-44ab-83d2-661975830a7d',
  sns: '2e1424d4-f796-459a-8184-9c92662be6da',
  eventBridge: '8a1f32c0-5b7e-4d2a-9b0e-3c4d5e6f7a8b',
};
const SETTINGS = [
  'AIRFLOW_URL',
  'AIRFLOW_API_VERSION',
  'AIRFLOW_USERNAME',
  'AIRFLOW_PASSWORD',
  'AIRFLOW_PASSWORD_SECRET_ARN',
  'AIRFLOW_DAG_ID',
  'STOCKFLOW_MONITORED',
  'STOCKFLOW_EVENTS_SNS_TOPIC_ARN',
];
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stockflow-airflow-admin-AbCdEf';

/**
 * A Secrets Manager stand-in on a free port (AWS JSON 1.1, as the SDK speaks it): answers
 * GetSecretValue for the secrets it holds, counts the reads, refuses anything else.
 */
async function startSecretsStub(secrets: Record<string, string>): Promise<{ url: string; reads: string[]; close(): Promise<void> }> {
  const reads: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      const reply = (status: number, payload: object): void => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
      };
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || !request.headers.authorization?.startsWith('AWS4-HMAC-SHA256')) {
        reply(400, { __type: 'InvalidRequestException', message: `unexpected ${String(request.headers['x-amz-target'])}` });
        return;
      }
      reads.push(SecretId ?? '');
      const value = SecretId === undefined ? undefined : secrets[SecretId];
      if (value === undefined) reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      else reply(200, { ARN: SecretId, Name: 'stockflow-airflow-admin', SecretString: value, VersionId: 'v1' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the Lambda, bundled by esbuild', () => {
  let dir: string;
  let bundle: BundledHandler;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stockflow-lambda-'));
    const file = (await buildLambda(join(dir, 'handler.mjs'))) as string;
    bundle = (await import(pathToFileURL(file).href)) as BundledHandler;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Sets the Lambda's environment (and only these settings), as a fresh deployment would. */
  function configure(settings: Record<string, string>): void {
    for (const name of SETTINGS) delete process.env[name];
    Object.assign(process.env, { AIRFLOW_USERNAME: STUB_USER.username, AIRFLOW_PASSWORD: STUB_USER.password, STOCKFLOW_MONITORED: 'stockflow-monitored', ...settings });
    bundle.resetForTests();
  }
  const keysOf = (stub: AirflowStub): string[] => [...stub.runs.values()].map((run) => (run.conf.marker as { key: string }).key).sort();

  for (const version of ['v1', 'v2'] as const) {
    it(`triggers the DAG once per marker on Airflow ${version}, even when S3 delivers the event twice`, async () => {
      const stub = await startAirflowStub(version);
      configure({ AIRFLOW_URL: stub.url });
      try {
        const first = (await bundle.handler(fixture('s3-event-put.json'))) as HandlerResult;
        assert.equal(first.triggered.length, 1);
        assert.equal(first.ignored, 1);
        const second = (await bundle.handler(fixture('s3-event-put.json'))) as HandlerResult;
        assert.deepEqual(second.triggered, []);
        assert.deepEqual(second.alreadyTriggered, first.triggered);
        assert.equal(stub.runs.size, 1);
        const run = stub.runs.get(first.triggered[0]!)!;
        assert.deepEqual(run.conf.marker, { bucket: 's3://stockflow-monitored/', key: 'daily/2026-11-25/.SUCCESS', version: '0055AED6DCD90281E5' });
        assert.deepEqual(stub.violations, []);
      } finally {
        await stub.close();
      }
    });
  }

  it('takes EventBridge events, SNS events (topic checked when configured) and SQS batches', async () => {
    const stub = await startAirflowStub('v2');
    try {
      configure({ AIRFLOW_URL: stub.url, STOCKFLOW_EVENTS_SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:another-topic' });
      const foreign = (await bundle.handler(fixture('lambda-sns-event.json'))) as HandlerResult;
      assert.deepEqual([foreign.triggered, stub.runs.size], [[], 0]);

      configure({ AIRFLOW_URL: stub.url, STOCKFLOW_EVENTS_SNS_TOPIC_ARN: TOPIC });
      assert.equal(((await bundle.handler(fixture('lambda-sns-event.json'))) as HandlerResult).triggered.length, 1);
      assert.equal(((await bundle.handler(fixture('eventbridge-object-created.json'))) as HandlerResult).triggered.length, 1);
      assert.deepEqual(await bundle.handler(fixture('sqs-lambda-event.json')), { batchItemFailures: [] });
      assert.deepEqual(keysOf(stub), ['daily/2026-11-27/.SUCCESS', 'daily/2026-11-28/.SUCCESS', 'daily/2026-11-29/.SUCCESS', 'daily/2026-11-30/.SUCCESS', 'daily/2026-12-01/.SUCCESS']);
      assert.deepEqual(stub.violations, []);
    } finally {
      await stub.close();
    }
  });

  it('never throws for what cannot trigger anything, even with Airflow down', async () => {
    configure({ AIRFLOW_URL: 'http://127.0.0.1:9', AIRFLOW_API_VERSION: 'v1' });
    const otherBucket = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'someone-else' }, object: { key: 'x/.SUCCESS', sequencer: '01' } } }] };
    const badKey = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'stockflow-monitored' }, object: { key: 'x%zz/.SUCCESS', sequencer: '01' } } }] };
    for (const event of [fixture('s3-test-event.json'), otherBucket, badKey, { not: 'an event' }, fixture('sns-subscription-confirmation.json')]) {
      const result = (await bundle.handler(event)) as HandlerResult;
      assert.deepEqual(result.triggered, []);
    }
    assert.equal(((await bundle.handler(badKey)) as HandlerResult).rejected, 1);
  });

  it('reports only the SQS messages whose trigger failed, so the others are not delivered again', async () => {
    const stub = await startAirflowStub('v2');
    const realFetch = globalThis.fetch;
    // Airflow refuses one marker's trigger (the SNS-wrapped one); the ones after it still go.
    globalThis.fetch = (input, init) =>
      typeof init?.body === 'string' && init.body.includes('daily/2026-11-29/.SUCCESS') ? Promise.resolve(new Response('{"detail":"Service Unavailable"}', { status: 503 })) : realFetch(input, init);
    try {
      configure({ AIRFLOW_URL: stub.url });
      const event = fixture('sqs-lambda-event.json');
      const records = event.Records as Array<Record<string, unknown>>;
      const bad = {
        ...records[0]!,
        messageId: 'bad-input',
        body: '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"stockflow-monitored"},"object":{"key":"%zz/.SUCCESS","sequencer":"1"}}}]}',
      };
      const response = await bundle.handler({ Records: [...records, bad] });
      assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: SQS_IDS.sns }] });
      assert.deepEqual(keysOf(stub), ['daily/2026-11-28/.SUCCESS', 'daily/2026-11-30/.SUCCESS']);
    } finally {
      globalThis.fetch = realFetch;
      await stub.close();
    }
  });

  it('reports every triggering SQS message when Airflow is unreachable', async () => {
    configure({ AIRFLOW_URL: 'http://127.0.0.1:9' });
    const realFetch = globalThis.fetch;
    let calls = 0;
    globalThis.fetch = (input, init) => {
      calls += 1;
      return realFetch(input, init);
    };
    try {
      const response = (await bundle.handler(fixture('sqs-lambda-event.json'))) as BatchResponse;
      assert.deepEqual(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort(), Object.values(SQS_IDS).sort());
      // One version probe (v2, then v1), not one per message: the batch gives up on a silent Airflow.
      assert.equal(calls, 2);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('reads the Airflow password from its Secrets Manager secret once per cold start', async () => {
    const stub = await startAirflowStub('v2');
    const plain = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:plain-AbCdEf';
    const secrets = await startSecretsStub({ [SECRET_ARN]: JSON.stringify({ username: STUB_USER.username, password: STUB_USER.password }), [plain]: STUB_USER.password });
    const aws = { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const saved = Object.fromEntries(Object.keys(aws).map((name) => [name, process.env[name]]));
    Object.assign(process.env, aws);
    try {
      configure({ AIRFLOW_URL: stub.url, AIRFLOW_PASSWORD_SECRET_ARN: SECRET_ARN });
      delete process.env.AIRFLOW_PASSWORD;
      assert.equal(((await bundle.handler(fixture('s3-event-put.json'))) as HandlerResult).triggered.length, 1);
      assert.equal(((await bundle.handler(fixture('eventbridge-object-created.json'))) as HandlerResult).triggered.length, 1);
      assert.deepEqual(secrets.reads, [SECRET_ARN]);
      assert.deepEqual(stub.violations, []);

      // A new cold start reads again; a plain-string secret is the password itself.
      configure({ AIRFLOW_URL: stub.url, AIRFLOW_PASSWORD_SECRET_ARN: plain });
      delete process.env.AIRFLOW_PASSWORD;
      assert.equal(((await bundle.handler(fixture('s3-event-put.json'))) as HandlerResult).alreadyTriggered.length, 1);
      assert.deepEqual(secrets.reads, [SECRET_ARN, plain]);

      // A secret that cannot be read fails the event (Lambda retries it) before anything is triggered.
      configure({ AIRFLOW_URL: stub.url, AIRFLOW_PASSWORD_SECRET_ARN: SECRET_ARN.replace('AbCdEf', 'gone00') });
      delete process.env.AIRFLOW_PASSWORD;
      await assert.rejects(bundle.handler(fixture('sqs-lambda-event.json')), /can't find the specified secret/);
      assert.equal(stub.runs.size, 2);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await secrets.close();
      await stub.close();
    }
  });

  it('fails loudly (so Lambda retries) when Airflow is unreachable or misconfigured', async () => {
    configure({ AIRFLOW_URL: 'http://127.0.0.1:9', AIRFLOW_API_VERSION: 'v1' });
    await assert.rejects(bundle.handler(fixture('s3-event-put.json')));
    // Version detection against a stopped Airflow fails too (rather than guessing v1).
    configure({ AIRFLOW_URL: 'http://127.0.0.1:9' });
    await assert.rejects(bundle.handler(fixture('eventbridge-object-created.json')), /No Airflow API answered/);
    configure({ AIRFLOW_URL: 'http://127.0.0.1:9' });
    delete process.env.AIRFLOW_PASSWORD;
    await assert.rejects(bundle.handler(fixture('s3-event-put.json')), /AIRFLOW_PASSWORD: set exactly one/);
    configure({ AIRFLOW_URL: 'http://127.0.0.1:9' });
    delete process.env.STOCKFLOW_MONITORED;
    await assert.rejects(bundle.handler(fixture('s3-event-put.json')), /STOCKFLOW_MONITORED/);
  });
});
