import type pg from 'pg';
import type { DeliveryReceipt, Notification, Notifier } from '../ports/notifier';

/**
 * Every notification goes to stockflow.outbox first. With a mail channel configured it waits
 * there as pending until the OutboxDispatcher delivers it; without one, the outbox is the
 * destination (the control panel shows it) and it is recorded as delivered.
 */
export class OutboxNotifier implements Notifier {
  constructor(private readonly pool: pg.Pool, private readonly channel: 'outbox' | 'smtp' | 'sns' = 'outbox') {}

  async send(notification: Notification): Promise<DeliveryReceipt> {
    const delivered = this.channel === 'outbox';
    const inserted = await this.pool.query<{ id: string }>(
      `INSERT INTO stockflow.outbox (run_id, outcome, channel, subject, body, status, sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [notification.runId, notification.outcome, this.channel, notification.subject, notification.body, delivered ? 'sent' : 'pending', delivered ? new Date() : null],
    );
    return { channel: this.channel, id: inserted.rows[0]!.id };
  }
}
