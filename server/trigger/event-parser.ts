import type { BucketLocation } from '../config';
import {
  eventBridgeObjectSchema,
  eventBridgeSchema,
  firstIssue,
  s3RecordSchema,
  SNS_TYPES,
  type SnsEnvelope,
  snsMessageSchema,
  sqsMessageSchema,
  sqsRecordSchema,
  toSnsEnvelope,
} from './event-shapes';
import { isMarkerKey, type Marker } from './marker-run-id';

/**
 * THE event parser, shared by the HTTP endpoint and the Lambda: finds the .SUCCESS uploads of the
 * monitored bucket in an S3 notification, an SNS message, an EventBridge event or an SQS message
 * (or a Lambda SQS/SNS event) carrying any of these, nested as AWS nests them.
 *
 * It never throws for input: bad input is collected in `rejected` (per SQS message, so a Lambda can
 * keep the good messages of a batch), and the caller decides (the HTTP endpoint answers 400 and
 * starts nothing; the Lambda logs and drops, since a retry cannot fix input). It verifies nothing:
 * SNS envelopes are returned for the caller to check.
 */

export interface ParseSettings {
  /** The monitored bucket (s3): events for other buckets, or outside its prefix, are ignored. */
  bucket: BucketLocation;
  /** When set, SNS messages from other topics are not read (listed in foreignTopics). */
  snsTopicArn: string | null;
}

export type IgnoreReason = 'test-event' | 'not-object-created' | 'not-from-s3' | 'other-bucket' | 'outside-prefix' | 'not-a-marker';

/** The SQS message an item came in (null outside SQS): what a Lambda reports failures by. */
type MessageId = string | null;

export interface ParsedDelivery {
  markers: Array<{ marker: Marker; messageId: MessageId }>;
  /** bucket and key when the item was an object's event (the marker log names them). */
  ignored: Array<{ reason: IgnoreReason; detail: string; messageId: MessageId; bucket?: string; key?: string }>;
  /** Bad input, with the field at fault. */
  rejected: Array<{ reason: string; messageId: MessageId }>;
  /** Every SNS message met, for signature checks. */
  envelopes: SnsEnvelope[];
  /** SNS messages of another topic than the configured one: their content was not read. */
  foreignTopics: Array<{ topicArn: string; messageId: MessageId }>;
  /** Subscription and unsubscribe confirmations of the configured topic. */
  confirmations: Array<{ envelope: SnsEnvelope; messageId: MessageId }>;
  /** SQS messages met, in order (a Lambda SQS event answers with a batch response). */
  sqsMessageIds: string[];
}

/** Records > SQS body > SNS Message > Records is the deepest AWS nests; more is not an AWS delivery. */
const MAX_DEPTH = 6;

class BadInput extends Error {}

export function parseDelivery(input: unknown, settings: ParseSettings): ParsedDelivery {
  if (settings.bucket.kind !== 's3') throw new Error(`events need an S3 bucket, not the folder ${settings.bucket.display}`);
  const out: ParsedDelivery = { markers: [], ignored: [], rejected: [], envelopes: [], foreignTopics: [], confirmations: [], sqsMessageIds: [] };
  new Walker(settings, out).visit(input, { messageId: null, depth: 0, where: '' });
  return out;
}

/** The location string the watcher also uses for this bucket, so both derive the same run ids. */
export function markerBucketOf(bucket: BucketLocation): string {
  return `s3://${bucket.bucket}/${bucket.prefix}`;
}

/** S3 notifications URL-encode keys as forms do ('+' is a space); bad %-encoding is bad input. */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new BadInput(`bad %-encoding in the key "${key}"`);
  }
}

/** For logs only: the decoded key when it decodes, else the key as it came. */
function readableKey(key: string): string {
  try {
    return decodeS3Key(key);
  } catch {
    return key;
  }
}

interface Context {
  messageId: MessageId;
  depth: number;
  /** Where in the delivery we are, for messages ("SQS message m1 > Records.0"). */
  where: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

class Walker {
  constructor(
    private readonly settings: ParseSettings,
    private readonly out: ParsedDelivery,
  ) {}

  visit(value: unknown, context: Context): void {
    try {
      if (context.depth > MAX_DEPTH) throw new BadInput('events nested deeper than SQS > SNS > S3');
      this.visitShape(value, context);
    } catch (error) {
      if (!(error instanceof BadInput)) throw error;
      this.out.rejected.push({ reason: `${context.where ? `${context.where}: ` : ''}${error.message}`, messageId: context.messageId });
    }
  }

  private visitShape(value: unknown, context: Context): void {
    if (!isObject(value)) throw new BadInput('expected a JSON object');
    if (value.Event === 's3:TestEvent') return this.ignore('test-event', 's3:TestEvent', context);
    if (Array.isArray(value.Records)) {
      value.Records.forEach((record, index) => this.visit(record, { ...context, depth: context.depth + 1, where: join(context.where, `Records.${index}`) }));
      return;
    }
    if (isObject(value.s3) || 'eventName' in value) return this.s3Record(value, context);
    if (isObject(value.Sns)) return this.sns(value.Sns, { ...context, where: join(context.where, 'Sns') });
    if (value.eventSource === 'aws:sqs' || ('messageId' in value && 'body' in value)) return this.sqs(value, 'record', context);
    if ('MessageId' in value && 'Body' in value) return this.sqs(value, 'message', context);
    if (typeof value.Type === 'string' && 'TopicArn' in value) return this.sns(value, context);
    if ('detail-type' in value) return this.eventBridge(value, context);
    throw new BadInput('not a supported event: expected an S3 notification (Records[].s3), an SNS message (Type, TopicArn), an EventBridge event (detail-type) or an SQS message (Records[].body)');
  }

  private ignore(reason: IgnoreReason, detail: string, context: Context, object?: { bucket: string; key: string }): void {
    this.out.ignored.push({ reason, detail, messageId: context.messageId, ...object });
  }

  private s3Record(value: Record<string, unknown>, context: Context): void {
    const parsed = s3RecordSchema.safeParse(value);
    if (!parsed.success) throw new BadInput(firstIssue(parsed.error, ''));
    const { eventName, s3 } = parsed.data;
    if (!eventName.replace(/^s3:/, '').startsWith('ObjectCreated:')) return this.ignore('not-object-created', eventName, context, { bucket: s3.bucket.name, key: s3.object.key });
    this.upload({ bucket: s3.bucket.name, key: s3.object.key, encoded: true, versionId: s3.object.versionId, sequencer: s3.object.sequencer, versionField: 's3.object.versionId' }, context);
  }

  private eventBridge(value: Record<string, unknown>, context: Context): void {
    const parsed = eventBridgeSchema.safeParse(value);
    if (!parsed.success) throw new BadInput(firstIssue(parsed.error, ''));
    if (parsed.data.source !== 'aws.s3') return this.ignore('not-from-s3', parsed.data.source, context);
    if (parsed.data['detail-type'] !== 'Object Created') return this.ignore('not-object-created', parsed.data['detail-type'], context);
    const detail = eventBridgeObjectSchema.safeParse(parsed.data.detail);
    if (!detail.success) throw new BadInput(firstIssue(detail.error, 'detail'));
    const { bucket, object } = detail.data;
    // EventBridge carries the key as it is (S3 documents URL-encoding for its notifications only).
    this.upload({ bucket: bucket.name, key: object.key, encoded: false, versionId: object['version-id'], sequencer: object.sequencer, versionField: 'detail.object.version-id' }, context);
  }

  /** One created object: a marker when it is a .SUCCESS inside the monitored bucket and prefix. */
  private upload(upload: { bucket: string; key: string; encoded: boolean; versionId: string | null | undefined; sequencer: string | null | undefined; versionField: string }, context: Context): void {
    const { bucket, prefix } = this.settings.bucket;
    const object = { bucket: upload.bucket, key: upload.encoded ? readableKey(upload.key) : upload.key };
    if (upload.bucket !== bucket) return this.ignore('other-bucket', upload.bucket, context, object);
    // Decided on the raw key ('.SUCCESS' is never encoded): other keys are ignored even when their
    // encoding is broken, never an error.
    if (!isMarkerKey(upload.key)) return this.ignore('not-a-marker', upload.key, context, object);
    const key = upload.encoded ? decodeS3Key(upload.key) : upload.key;
    if (!key.startsWith(prefix)) return this.ignore('outside-prefix', key, context, { bucket: upload.bucket, key });
    // versionId "null" names every upload to an unversioned or suspended bucket: not an identity.
    const usable = (value: string | null | undefined): string | null => (value && value !== 'null' ? value : null);
    const version = usable(upload.versionId) ?? usable(upload.sequencer);
    if (!version) throw new BadInput(`${upload.versionField}: the event for ${key} has neither a versionId nor a sequencer`);
    this.out.markers.push({ marker: { bucket: markerBucketOf(this.settings.bucket), key: key.slice(prefix.length), version }, messageId: context.messageId });
  }

  private sns(value: unknown, context: Context): void {
    const parsed = snsMessageSchema.safeParse(value);
    if (!parsed.success) throw new BadInput(firstIssue(parsed.error, 'SNS message'));
    const type = SNS_TYPES.find((candidate) => candidate === parsed.data.Type);
    if (!type) throw new BadInput(`SNS message ${parsed.data.MessageId}: unknown Type ${parsed.data.Type}`);
    const envelope = toSnsEnvelope(parsed.data, type);
    this.out.envelopes.push(envelope);
    if (this.settings.snsTopicArn !== null && envelope.TopicArn !== this.settings.snsTopicArn) {
      this.out.foreignTopics.push({ topicArn: envelope.TopicArn, messageId: context.messageId });
      return;
    }
    if (type !== 'Notification') {
      if (!envelope.SubscribeURL) throw new BadInput(`SNS ${type} ${envelope.MessageId}: no SubscribeURL`);
      this.out.confirmations.push({ envelope, messageId: context.messageId });
      return;
    }
    this.visit(parseJson(envelope.Message, `SNS message ${envelope.MessageId}: Message`), { ...context, depth: context.depth + 1, where: join(context.where, `SNS message ${envelope.MessageId}`) });
  }

  private sqs(value: Record<string, unknown>, shape: 'record' | 'message', context: Context): void {
    const parsed = shape === 'record' ? sqsRecordSchema.safeParse(value) : sqsMessageSchema.safeParse(value);
    if (!parsed.success) throw new BadInput(firstIssue(parsed.error, 'SQS message'));
    const [messageId, body] = 'messageId' in parsed.data ? [parsed.data.messageId, parsed.data.body] : [parsed.data.MessageId, parsed.data.Body];
    this.out.sqsMessageIds.push(messageId);
    const inner: Context = { messageId, depth: context.depth + 1, where: `SQS message ${messageId}` };
    // Rejections inside carry this message's id, so one bad message does not sink its batch.
    try {
      this.visit(parseJson(body, 'body'), inner);
    } catch (error) {
      if (!(error instanceof BadInput)) throw error;
      this.out.rejected.push({ reason: `${inner.where}: ${error.message}`, messageId });
    }
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadInput(`${what} is not JSON`);
  }
}

function join(where: string, next: string): string {
  return where ? `${where} > ${next}` : next;
}
