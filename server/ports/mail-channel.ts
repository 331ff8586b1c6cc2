/** A way out for notifications: SMTP or an SNS topic. The outbox decides when to send. */
export interface MailChannel {
  readonly name: 'smtp' | 'sns';
  /** Delivers one message; resolves with the channel's message id, throws when it was not accepted. */
  deliver(message: { subject: string; body: string }): Promise<string>;
}
