import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startAirflowStub, STUB_USER } from '../../test/helpers/airflow-stub';
// @ts-expect-error: plain ESM build script without type declarations
import { buildLambda } from './build.mjs';

interface BundledHandler {
  handler(event: unknown): Promise<{ triggered: string[]; alreadyTriggered: string[]; ignored: number }>;
  resetForTests(): void;
}

const event = JSON.parse(readFileSync('test/fixtures/s3-event-put.json', 'utf8')) as unknown;

describe('the Lambda, bundled by esbuild', () => {
  let dir: string;
  let bundle: BundledHandler;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stockflow-lambda-'));
    const file = (await buildLambda(join(dir, 'handler.mjs'))) as string;
    bundle = (await import(pathToFileURL(file).href)) as BundledHandler;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const version of ['v1', 'v2'] as const) {
    it(`triggers the DAG once per marker on Airflow ${version}, even when S3 delivers the event twice`, async () => {
      const stub = await startAirflowStub(version);
      Object.assign(process.env, { AIRFLOW_URL: stub.url, AIRFLOW_USERNAME: STUB_USER.username, AIRFLOW_PASSWORD: STUB_USER.password, AIRFLOW_DAG_ID: 'stockflow_pipeline' });
      bundle.resetForTests();
      try {
        const first = await bundle.handler(event);
        assert.equal(first.triggered.length, 1);
        assert.equal(first.ignored, 1);
        const second = await bundle.handler(event);
        assert.deepEqual(second.triggered, []);
        assert.deepEqual(second.alreadyTriggered, first.triggered);
        assert.equal(stub.runs.size, 1);
        const run = stub.runs.get(first.triggered[0]!)!;
        assert.deepEqual((run.conf.marker as { key: string }).key, 'daily/2026-11-25/.SUCCESS');
        assert.deepEqual(stub.violations, []);
      } finally {
        await stub.close();
      }
    });
  }

  it('fails loudly (so Lambda retries) when Airflow is unreachable or misconfigured', async () => {
    Object.assign(process.env, { AIRFLOW_URL: 'http://127.0.0.1:9', AIRFLOW_API_VERSION: 'v1' });
    bundle.resetForTests();
    await assert.rejects(bundle.handler(event));
    delete process.env.AIRFLOW_API_VERSION;
    delete process.env.AIRFLOW_PASSWORD;
    bundle.resetForTests();
    await assert.rejects(bundle.handler(event), /AIRFLOW_PASSWORD/);
  });
});
