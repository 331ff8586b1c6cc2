export interface Notification {
  runId: string;
  outcome: 'success' | 'failure';
  subject: string;
  body: string;
}

export interface DeliveryReceipt {
  channel: string;
  /** Id of the delivery in the channel (outbox row id, SNS message id, SMTP message id). */
  id: string;
}

/** Sends the pipeline's success or failure message. */
export interface Notifier {
  send(notification: Notification): Promise<DeliveryReceipt>;
}
