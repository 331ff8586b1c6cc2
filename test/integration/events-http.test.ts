import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../server/db/migrate';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { startEventsServer } from '../../server/trigger/events-http-server';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const silent = { log: () => {} };

describe('the S3 events HTTP endpoint', () => {
  let database: TestDatabase;
  let orchestrator: EmbeddedOrchestrator;

  before(async () => {
    database = await createTestDatabase('events_http');
    await migrate(database.pool);
    orchestrator = new EmbeddedOrchestrator(new RunRepository(database.pool));
  });
  after(async () => {
    await database?.drop();
  });

  async function runCount(): Promise<number> {
    return (await database.pool.query('SELECT count(*)::int AS n FROM stockflow.runs')).rows[0].n;
  }

  it('accepts S3 event deliveries over HTTP with the shared secret, once per marker', async () => {
    const secret = 'a-long-shared-secret-value';
    const server = await startEventsServer({ pool: database.pool, orchestrator, secret, port: 0, log: silent });
    try {
      const post = (body: string, headers: Record<string, string>) => fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const event = readFileSync('test/fixtures/s3-event-put.json', 'utf8');
      assert.equal((await post(event, {})).status, 401);
      assert.equal((await post(event, { authorization: 'Bearer wrong-secret-of-same-size!' })).status, 401);
      const before = await runCount();
      const first = await post(event, { authorization: `Bearer ${secret}` });
      assert.equal(first.status, 200);
      const firstBody = (await first.json()) as { runs: Array<{ created: boolean }>; ignored: number };
      assert.deepEqual(firstBody.runs.map((run) => run.created), [true]);
      assert.equal(firstBody.ignored, 1);
      // S3 delivers at least once: the same event again starts nothing.
      const again = (await (await post(event, { 'x-stockflow-secret': secret })).json()) as { runs: Array<{ created: boolean }> };
      assert.deepEqual(again.runs.map((run) => run.created), [false]);
      const wrapped = await fetch(`${server.url}?token=${secret}`, { method: 'POST', body: readFileSync('test/fixtures/sns-wrapped-s3-event.json', 'utf8') });
      assert.equal(wrapped.status, 200);
      assert.equal(await runCount(), before + 2);
      assert.equal((await post('{"Records":[{}]}', { authorization: `Bearer ${secret}` })).status, 400);
    } finally {
      await server.close();
    }
  });
});
