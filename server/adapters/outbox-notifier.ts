import type pg from 'pg';
import type { DeliveryReceipt, Notification, Notifier } from '../ports/notifier';

/**
 * The embedded default notifier: the message goes to stockflow.outbox, where the control panel
 * shows it and a mail channel (SNS or SMTP, when configured) picks it up.
 */
export class OutboxNotifier implements Notifier {
  constructor(private readonly pool: pg.Pool) {}

  async send(notification: Notification): Promise<DeliveryReceipt> {
    const inserted = await this.pool.query<{ id: string }>(
      `INSERT INTO stockflow.outbox (run_id, outcome, channel, subject, body, status)
       VALUES ($1, $2, 'outbox', $3, $4, 'pending') RETURNING id`,
      [notification.runId, notification.outcome, notification.subject, notification.body],
    );
    return { channel: 'outbox', id: inserted.rows[0]!.id };
  }
}
