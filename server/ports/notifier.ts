export interface Notification {
  runId: string;
  outcome: 'success' | 'failure' | 'test';
  subject: string;
  body: string;
  /** The same key is mailed at most once (a notify step run again must not mail twice). */
  dedupeKey?: string;
}

export interface DeliveryReceipt {
  channel: string;
  /** The outbox row that records the notification and every delivery attempt. */
  id: string;
  /** True only once the channel accepted the message (or the outbox itself is the destination). */
  delivered: boolean;
  /** The channel's message id (SMTP message id, SNS MessageId) once delivered. */
  deliveryId: string | null;
  /** Why it is not delivered yet. */
  error: string | null;
}

/** Sends the pipeline's success or failure message. */
export interface Notifier {
  send(notification: Notification): Promise<DeliveryReceipt>;
}
