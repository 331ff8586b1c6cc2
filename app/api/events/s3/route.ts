import { NextResponse } from 'next/server';

import { getServices } from '@/app/_lib/services';
import { recordThrottled, recordUnread, refusedEntries } from '@/server/trigger/delivery-decisions';
import { readDelivery } from '@/server/trigger/delivery-request';
import { handleEventDelivery } from '@/server/trigger/events-http-server';
import { SnsVerifier } from '@/server/trigger/sns-signature';

export const dynamic = 'force-dynamic';

// One per process, so SNS signing certificates are fetched once, not per request.
const snsVerifier = new SnsVerifier();

/**
 * S3 events for the monitored bucket: S3 notifications, SNS (signature-checked), EventBridge, SQS
 * messages; authenticated by the shared secret.
 */
export async function POST(request: Request) {
  const services = await getServices();
  const { eventsSecret: secret, eventsBucket, eventsSnsTopicArn } = services.config.watch;
  const log = { log: (level: string, message: string) => console[level === 'error' ? 'error' : 'log'](message) };
  if (!secret) {
    const error = 'set STOCKFLOW_EVENTS_SECRET to accept S3 events';
    await recordThrottled(services.pool, refusedEntries(null, null, 'not-configured', error)[0]!, log);
    return NextResponse.json({ error }, { status: 503 });
  }
  const credentials = {
    authorization: request.headers.get('authorization'),
    secretHeader: request.headers.get('x-stockflow-secret'),
    tokenQuery: new URL(request.url).searchParams.get('token'),
  };
  // Secret and size first; the body only after, and never past 1 MiB.
  const read = await readDelivery(credentials, request.headers.get('content-length'), request.body, secret);
  if (!read.ok) {
    // Logged so "why did my upload not start?" has an answer for a sender with the wrong secret too.
    await recordUnread(services.pool, read.status, read.error, log);
    return NextResponse.json({ error: read.error }, { status: read.status });
  }
  try {
    const result = await handleEventDelivery(
      { ...credentials, body: read.body },
      {
        pool: services.pool,
        orchestrator: services.orchestrator,
        secret,
        bucket: eventsBucket,
        snsTopicArn: eventsSnsTopicArn,
        snsVerifier,
        log,
      },
    );
    return NextResponse.json(result.body, { status: result.status });
  } catch (error) {
    console.error(`events: ${error instanceof Error ? error.message : String(error)}`);
    return NextResponse.json({ error: 'could not trigger the run; S3 will deliver again' }, { status: 500 });
  }
}
