import { createServer } from 'node:http';

import type pg from 'pg';

import type { BucketLocation } from '../config';
import type { Logger } from '../ports/logger';
import type { Orchestrator } from '../ports/orchestrator';
import { ignoredEntries, malformedEntries, recordQuietly, recordUnread, refusedEntries } from './delivery-decisions';
import { deliveryAuthorized, readDelivery } from './delivery-request';
import { type IgnoreReason, markerBucketOf, type ParsedDelivery, parseDelivery } from './event-parser';
import type { MarkerDecisionEntry } from './marker-log';
import { fireMarker } from './marker-watcher';
import { SnsCertificateUnavailableError, SnsVerificationError, SnsVerifier } from './sns-signature';

export interface EventDeliveryResult {
  status: number;
  body: Record<string, unknown>;
}

export interface EventDeliveryDeps {
  pool: pg.Pool;
  orchestrator: Orchestrator;
  secret: string;
  log: Logger;
  /** Config.watch.eventsBucket: whose events count; undefined answers 503 (nothing to match). */
  bucket: BucketLocation | undefined;
  /** Config.watch.eventsSnsTopicArn: the one topic allowed; undefined refuses SNS messages. */
  snsTopicArn: string | undefined;
  /** Shared so its certificate cache lasts; tests point it at a local https server. */
  snsVerifier?: SnsVerifier;
}

let sharedVerifier: SnsVerifier | null = null;

const reply = (status: number, body: Record<string, unknown>): EventDeliveryResult => ({ status, body });

/**
 * Handles one event delivery (POST /events/s3): any shape the event parser reads. The shared secret
 * comes as a bearer token, an x-stockflow-secret header or a ?token= query (SNS subscriptions can
 * only carry the URL). All or nothing: a delivery with any bad part (400) or any unverifiable SNS
 * message (403) starts no run, so the sender's retry or fix replays it whole.
 */
export async function handleEventDelivery(
  request: { authorization: string | null; secretHeader: string | null; tokenQuery: string | null; body: string },
  deps: EventDeliveryDeps,
): Promise<EventDeliveryResult> {
  if (!deliveryAuthorized(request, deps.secret)) {
    const error = 'missing or wrong shared secret';
    await recordUnread(deps.pool, 401, error, deps.log);
    return reply(401, { error });
  }
  const monitored = deps.bucket?.kind === 's3' ? markerBucketOf(deps.bucket) : null;
  if (!deps.bucket || deps.bucket.kind !== 's3') {
    const error = 'no S3 bucket to match events against: set STOCKFLOW_MONITORED=s3://... or STOCKFLOW_EVENTS_BUCKET';
    return refuse(deps, refusedEntries(null, null, 'not-configured', error), 503, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    const error = 'the body is not JSON';
    return refuse(deps, refusedEntries(null, monitored, 'malformed', error), 400, error);
  }
  const parsed = parseDelivery(json, { bucket: deps.bucket, snsTopicArn: deps.snsTopicArn ?? null });
  const verifier = deps.snsVerifier ?? (sharedVerifier ??= new SnsVerifier());

  const refused = await checkSns(parsed, verifier, deps);
  if (refused) return refuse(deps, refusedEntries(parsed, monitored, refused.reason, refused.error), refused.status, refused.error);
  if (parsed.rejected.length > 0) {
    await recordQuietly(deps.pool, malformedEntries(parsed, monitored), deps.log);
    return reply(400, { error: parsed.rejected[0]!.reason, problems: parsed.rejected.map((problem) => problem.reason) });
  }

  const confirmed: string[] = [];
  for (const { envelope } of parsed.confirmations) {
    if (envelope.Type === 'UnsubscribeConfirmation') {
      deps.log.log('warn', `SNS: this endpoint was unsubscribed from ${envelope.TopicArn}; to undo, open ${envelope.SubscribeURL}`);
      continue;
    }
    try {
      await verifier.confirmSubscription(envelope);
    } catch (error) {
      if (error instanceof SnsVerificationError) return refuse(deps, refusedEntries(parsed, monitored, 'bad-signature', error.message), 403, error.message);
      deps.log.log('error', `SNS: ${error instanceof Error ? error.message : String(error)}`);
      return reply(502, { error: `could not confirm the subscription to ${envelope.TopicArn}; SNS will send the confirmation again` });
    }
    deps.log.log('info', `SNS: confirmed the subscription to ${envelope.TopicArn}`);
    confirmed.push(envelope.TopicArn);
  }

  // Each marker logs its own decision (started / duplicate / failed) with its run, in fireMarker.
  const runs = [];
  for (const { marker } of parsed.markers) {
    const result = await fireMarker(deps.pool, deps.orchestrator, marker, deps.log, 'events');
    runs.push({ runId: result.runId, created: result.created, key: marker.key, version: marker.version });
  }
  await recordQuietly(deps.pool, ignoredEntries(parsed, deps.bucket.bucket), deps.log);
  const ignoredBy = countReasons(parsed.ignored.map((item) => item.reason));
  if (ignoredBy['other-bucket']) deps.log.log('info', `events: ${ignoredBy['other-bucket']} event(s) for other buckets than ${deps.bucket.bucket} ignored`);
  return reply(200, { ok: true, runs, ignored: parsed.ignored.length, ignoredBy, ...(confirmed.length > 0 ? { confirmed } : {}) });
}

/** Logs a refused delivery in the marker log, then answers it. */
async function refuse(deps: EventDeliveryDeps, entries: MarkerDecisionEntry[], status: number, error: string): Promise<EventDeliveryResult> {
  await recordQuietly(deps.pool, entries, deps.log);
  return reply(status, { error });
}

interface SnsRefusal {
  status: number;
  reason: 'sns-not-allowed' | 'foreign-topic' | 'bad-signature' | 'unverifiable-signature';
  error: string;
}

/** 403 unless every SNS message is of the configured topic and signed by SNS; 503 if a certificate is unreachable. */
async function checkSns(parsed: ParsedDelivery, verifier: SnsVerifier, deps: EventDeliveryDeps): Promise<SnsRefusal | null> {
  if (parsed.envelopes.length === 0) return null;
  if (!deps.snsTopicArn) return { status: 403, reason: 'sns-not-allowed', error: 'SNS messages are refused: set STOCKFLOW_EVENTS_SNS_TOPIC_ARN to the topic allowed to post here' };
  const foreign = parsed.foreignTopics[0];
  if (foreign) return { status: 403, reason: 'foreign-topic', error: `SNS topic ${foreign.topicArn} is not the configured topic` };
  for (const envelope of parsed.envelopes) {
    try {
      await verifier.verify(envelope);
    } catch (error) {
      if (error instanceof SnsVerificationError) {
        deps.log.log('warn', `events: refused an SNS message: ${error.message}`);
        return { status: 403, reason: 'bad-signature', error: error.message };
      }
      if (error instanceof SnsCertificateUnavailableError) {
        deps.log.log('error', `events: ${error.message}`);
        return { status: 503, reason: 'unverifiable-signature', error: 'could not fetch the SNS signing certificate; SNS will deliver again' };
      }
      throw error;
    }
  }
  return null;
}

function countReasons(reasons: IgnoreReason[]): Partial<Record<IgnoreReason, number>> {
  const counts: Partial<Record<IgnoreReason, number>> = {};
  for (const reason of reasons) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

/** A small HTTP listener for event deliveries, used by `stockflow watch`. */
export async function startEventsServer(options: EventDeliveryDeps & { port: number; host?: string }): Promise<{ url: string; close(): Promise<void> }> {
  const deps: EventDeliveryDeps = { ...options, snsVerifier: options.snsVerifier ?? new SnsVerifier() };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const send = (status: number, body: Record<string, unknown>): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname !== '/events/s3') return send(404, { error: 'not found' });
    if (request.method !== 'POST') return send(405, { error: 'POST only' });
    const header = (name: string): string | null => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : null;
    };
    const credentials = { authorization: header('authorization'), secretHeader: header('x-stockflow-secret'), tokenQuery: url.searchParams.get('token') };
    // The answer goes out before the rest of an unwanted body; then the connection is dropped.
    readDelivery(credentials, header('content-length'), request, deps.secret)
      .then(async (read) => {
        if (!read.ok) {
          await recordUnread(deps.pool, read.status, read.error, deps.log);
          response.setHeader('connection', 'close');
          response.once('finish', () => request.destroy());
          send(read.status, { error: read.error });
          return null;
        }
        return handleEventDelivery({ ...credentials, body: read.body }, deps);
      })
      .then((result) => result && send(result.status, result.body))
      .catch((error: unknown) => {
        options.log.log('error', `events: ${error instanceof Error ? error.message : String(error)}`);
        send(500, { error: 'could not trigger the run; S3 will deliver again' });
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
