import { createServer } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../ports/logger';
import type { Orchestrator } from '../ports/orchestrator';
import { fireMarker } from './marker-watcher';
import { EventParseError, parseEventDelivery } from './s3-event';

const MAX_BODY_BYTES = 1 << 20;

export interface EventDeliveryResult {
  status: number;
  body: Record<string, unknown>;
}

function secretMatches(given: string | null, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Handles one S3 event delivery (POST /events/s3). The shared secret comes as a bearer token, an
 * x-stockflow-secret header or a ?token= query (SNS subscriptions can only carry the URL).
 */
export async function handleEventDelivery(
  request: { authorization: string | null; secretHeader: string | null; tokenQuery: string | null; body: string },
  deps: { pool: pg.Pool; orchestrator: Orchestrator; secret: string; log: Logger },
): Promise<EventDeliveryResult> {
  const bearer = request.authorization?.startsWith('Bearer ') ? request.authorization.slice('Bearer '.length) : null;
  if (![bearer, request.secretHeader, request.tokenQuery].some((given) => secretMatches(given, deps.secret))) {
    return { status: 401, body: { error: 'missing or wrong shared secret' } };
  }
  let delivery;
  try {
    delivery = parseEventDelivery(request.body);
  } catch (error) {
    if (error instanceof EventParseError) return { status: 400, body: { error: error.message } };
    throw error;
  }
  if (delivery.kind === 'test') return { status: 200, body: { ok: true, test: true } };
  if (delivery.kind === 'subscription') {
    // No outbound internet here: an operator confirms the subscription from this URL.
    deps.log.log('warn', `SNS subscription confirmation for ${delivery.topicArn}: confirm by opening ${delivery.subscribeUrl}`);
    return { status: 200, body: { ok: true, subscribeUrl: delivery.subscribeUrl } };
  }
  const runs = [];
  for (const marker of delivery.markers) {
    const result = await fireMarker(deps.pool, deps.orchestrator, marker, deps.log);
    runs.push({ runId: result.runId, created: result.created, key: marker.key });
  }
  return { status: 200, body: { ok: true, runs, ignored: delivery.ignored } };
}

/** A small HTTP listener for S3 event notifications, used by `stockflow watch`. */
export async function startEventsServer(options: { pool: pg.Pool; orchestrator: Orchestrator; secret: string; port: number; host?: string; log: Logger }): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const reply = (status: number, body: Record<string, unknown>): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname !== '/events/s3') return reply(404, { error: 'not found' });
    if (request.method !== 'POST') return reply(405, { error: 'POST only' });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reply(413, { error: 'body too large' });
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      const header = (name: string): string | null => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : null;
      };
      handleEventDelivery(
        { authorization: header('authorization'), secretHeader: header('x-stockflow-secret'), tokenQuery: url.searchParams.get('token'), body: Buffer.concat(chunks).toString('utf8') },
        options,
      )
        .then((result) => reply(result.status, result.body))
        .catch((error: unknown) => {
          options.log.log('error', `events: ${error instanceof Error ? error.message : String(error)}`);
          reply(500, { error: 'could not trigger the run; S3 will deliver again' });
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/events/s3`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
