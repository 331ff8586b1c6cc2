import { z } from 'zod';
import { isMarkerKey, type Marker } from './marker-run-id';

/**
 * S3 event notifications as S3 (and S3-compatible stores such as MinIO) post them, bare or
 * wrapped in an SNS HTTP notification. Shared by the HTTP endpoint and the Lambda.
 */

const s3RecordSchema = z.object({
  eventSource: z.string().optional(),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
      size: z.number().optional(),
    }),
  }),
});

const s3EventSchema = z.object({ Records: z.array(s3RecordSchema) });
const s3TestEventSchema = z.object({ Event: z.literal('s3:TestEvent') });
const snsEnvelopeSchema = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  Message: z.string(),
  SubscribeURL: z.string().optional(),
  TopicArn: z.string().optional(),
});

export type ParsedDelivery =
  | { kind: 'markers'; markers: Marker[]; ignored: number }
  | { kind: 'test' }
  | { kind: 'subscription'; subscribeUrl: string | null; topicArn: string | null };

export class EventParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventParseError';
  }
}

/** S3 URL-encodes keys in events, with '+' for a space. */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The .SUCCESS markers an event announces; other keys and event types are counted as ignored. */
export function markersOfS3Event(event: unknown): ParsedDelivery {
  if (s3TestEventSchema.safeParse(event).success) return { kind: 'test' };
  const parsed = s3EventSchema.safeParse(event);
  if (!parsed.success) throw new EventParseError(`not an S3 event notification: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const markers: Marker[] = [];
  let ignored = 0;
  for (const record of parsed.data.Records) {
    const key = decodeEventKey(record.s3.object.key);
    if (!record.eventName.startsWith('ObjectCreated') && !record.eventName.startsWith('s3:ObjectCreated')) {
      ignored += 1;
      continue;
    }
    if (!isMarkerKey(key)) {
      ignored += 1;
      continue;
    }
    const etag = record.s3.object.eTag ?? record.s3.object.versionId ?? record.s3.object.sequencer;
    if (!etag) throw new EventParseError(`event for ${key} carries neither eTag, versionId nor sequencer`);
    markers.push({ bucket: `s3://${record.s3.bucket.name}/`, key, etag: etag.replace(/^"|"$/g, '') });
  }
  return { kind: 'markers', markers, ignored };
}

/** Parses a delivery body: an S3 event, or an SNS notification carrying one. */
export function parseEventDelivery(body: string): ParsedDelivery {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new EventParseError('the body is not JSON');
  }
  const envelope = snsEnvelopeSchema.safeParse(json);
  if (!envelope.success) return markersOfS3Event(json);
  if (envelope.data.Type !== 'Notification') {
    return { kind: 'subscription', subscribeUrl: envelope.data.SubscribeURL ?? null, topicArn: envelope.data.TopicArn ?? null };
  }
  try {
    return markersOfS3Event(JSON.parse(envelope.data.Message));
  } catch (error) {
    if (error instanceof EventParseError) throw error;
    throw new EventParseError('the SNS Message is not JSON');
  }
}
