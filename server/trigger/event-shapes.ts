import { z } from 'zod';

/**
 * The event shapes AWS delivers, as far as stockflow reads them (zod at the boundary; unknown
 * fields pass). Sources of the examples these follow: test/fixtures/README.md.
 */

/** S3 event notification record (`Records[].s3`): the key is URL-encoded, '+' for a space. */
export const s3RecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      // JSON null on an unversioned bucket, per S3's documented example.
      versionId: z.string().nullish(),
      sequencer: z.string().nullish(),
    }),
  }),
});

/** EventBridge event from S3 (`source: aws.s3`); the detail is read only for "Object Created". */
export const eventBridgeSchema = z.object({
  source: z.string(),
  'detail-type': z.string(),
  detail: z.unknown(),
});

export const eventBridgeObjectSchema = z.object({
  bucket: z.object({ name: z.string().min(1) }),
  object: z.object({
    key: z.string().min(1),
    'version-id': z.string().nullish(),
    sequencer: z.string().nullish(),
  }),
});

/**
 * An SNS message: the HTTP/S body SNS posts, an SQS body SNS wrote, or Lambda's `Records[].Sns`
 * (which spells SigningCertUrl / UnsubscribeUrl / SubscribeUrl and may carry `Subject: null`).
 */
export const snsMessageSchema = z.object({
  Type: z.string(),
  MessageId: z.string(),
  TopicArn: z.string(),
  Message: z.string(),
  Timestamp: z.string(),
  Subject: z.string().nullish(),
  SubscribeURL: z.string().optional(),
  SubscribeUrl: z.string().optional(),
  Token: z.string().optional(),
  SignatureVersion: z.string().optional(),
  Signature: z.string().optional(),
  SigningCertURL: z.string().optional(),
  SigningCertUrl: z.string().optional(),
});

/** One message of a Lambda SQS event (`Records[]` with `eventSource: aws:sqs`). */
export const sqsRecordSchema = z.object({ messageId: z.string().min(1), body: z.string() });

/** One message as SQS ReceiveMessage returns it (someone forwarding what they polled). */
export const sqsMessageSchema = z.object({ MessageId: z.string().min(1), Body: z.string() });

/** SNS message types (the HTTP/S formats). */
export const SNS_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;

/** An SNS message with the URL fields under their HTTP/S names, ready for signature checks. */
export interface SnsEnvelope {
  Type: (typeof SNS_TYPES)[number];
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
}

/** Fills the HTTP/S field names from Lambda's spelling; a null Subject is an absent one. */
export function toSnsEnvelope(message: z.infer<typeof snsMessageSchema>, type: SnsEnvelope['Type']): SnsEnvelope {
  const envelope: SnsEnvelope = { Type: type, MessageId: message.MessageId, TopicArn: message.TopicArn, Message: message.Message, Timestamp: message.Timestamp };
  const optional = {
    Subject: message.Subject ?? undefined,
    SubscribeURL: message.SubscribeURL ?? message.SubscribeUrl,
    Token: message.Token,
    SignatureVersion: message.SignatureVersion,
    Signature: message.Signature,
    SigningCertURL: message.SigningCertURL ?? message.SigningCertUrl,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) Object.assign(envelope, { [name]: value });
  return envelope;
}

/** "Records.0.s3.object.key: expected string" from a zod failure, for 400 answers. */
export function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return `${path}: ${issue?.message ?? 'invalid'}`;
}
