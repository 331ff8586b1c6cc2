import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';

import { MAX_DELIVERY_BYTES, readDelivery } from '../../server/trigger/delivery-request';

const SECRET = 'a-long-shared-secret-value';
const authorized = { authorization: `Bearer ${SECRET}`, secretHeader: null, tokenQuery: null };

/** A body that never ends, counting what was pulled from it. */
function endlessBody(): { body: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024);
  return {
    pulled: () => pulled,
    body: (async function* () {
      for (;;) {
        pulled += chunk.byteLength;
        yield chunk;
      }
    })(),
  };
}

/** Issue #9, item 13: the events endpoint checks the secret and the size before it reads a body. */
describe('faults: hostile event deliveries', () => {
  it('reads nothing of a body sent without the secret', async () => {
    const { body, pulled } = endlessBody();
    const read = await readDelivery({ authorization: 'Bearer wrong', secretHeader: null, tokenQuery: null }, null, body, SECRET);
    assert.deepEqual(read, { ok: false, status: 401, error: 'missing or wrong shared secret' });
    assert.equal(pulled(), 0);
  });

  it('refuses a declared 300 MB body before reading it, and stops reading an undeclared one at 1 MiB', async () => {
    const declared = endlessBody();
    assert.equal((await readDelivery(authorized, String(300 << 20), declared.body, SECRET)).ok, false);
    assert.equal(declared.pulled(), 0);
    const undeclared = endlessBody();
    const read = await readDelivery(authorized, null, undeclared.body, SECRET);
    assert.deepEqual(read, { ok: false, status: 413, error: 'body too large' });
    assert.ok(undeclared.pulled() <= MAX_DELIVERY_BYTES + 64 * 1024);
  });

  it('answers an unauthenticated upload over HTTP while the client is still sending', async () => {
    const { startEventsServer } = await import('../../server/trigger/events-http-server');
    const server = await startEventsServer({
      pool: null as never,
      orchestrator: null as never,
      secret: SECRET,
      port: 0,
      log: { log: () => {} },
      bucket: { kind: 's3', bucket: 'monitored', prefix: '', display: 's3://monitored' },
      snsTopicArn: undefined,
    });
    try {
      const url = new URL(server.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
        req.on('response', (response) => resolve(response.statusCode ?? 0));
        req.on('error', () => {});
        // 300 MB would take far longer than the answer: write chunks until the answer comes.
        const chunk = Buffer.alloc(256 * 1024, 'x');
        let sent = 0;
        const pump = (): void => {
          while (sent < 300 << 20 && req.write(chunk)) sent += chunk.length;
          if (sent < 300 << 20) req.once('drain', pump);
        };
        pump();
        setTimeout(() => reject(new Error('no answer while uploading')), 10_000);
      });
      assert.equal(status, 401);
    } finally {
      await server.close();
    }
  });
});
