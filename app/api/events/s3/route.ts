import { NextResponse } from 'next/server';
import { handleEventDelivery } from '@/server/trigger/events-http-server';
import { SnsVerifier } from '@/server/trigger/sns-signature';
import { getServices } from '@/app/_lib/services';

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
  if (!secret) return NextResponse.json({ error: 'set STOCKFLOW_EVENTS_SECRET to accept S3 events' }, { status: 503 });
  const body = await request.text();
  if (body.length > 1 << 20) return NextResponse.json({ error: 'body too large' }, { status: 413 });
  try {
    const result = await handleEventDelivery(
      {
        authorization: request.headers.get('authorization'),
        secretHeader: request.headers.get('x-stockflow-secret'),
        tokenQuery: new URL(request.url).searchParams.get('token'),
        body,
      },
      {
        pool: services.pool,
        orchestrator: services.orchestrator,
        secret,
        bucket: eventsBucket,
        snsTopicArn: eventsSnsTopicArn,
        snsVerifier,
        log: { log: (level, message) => console[level === 'error' ? 'error' : 'log'](message) },
      },
    );
    return NextResponse.json(result.body, { status: result.status });
  } catch (error) {
    console.error(`events: ${error instanceof Error ? error.message : String(error)}`);
    return NextResponse.json({ error: 'could not trigger the run; S3 will deliver again' }, { status: 500 });
  }
}
