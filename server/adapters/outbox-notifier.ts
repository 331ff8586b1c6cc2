import type pg from 'pg';

import { attemptDelivery, claimMessage, reopenFailedMessage } from '../notifications/outbox-delivery';
import type { MailChannel } from '../ports/mail-channel';
import type { DeliveryReceipt, Notification, Notifier } from '../ports/notifier';

/** The outbox row a notification is recorded in, as send() reads it back. */
type OutboxRow = { id: string; channel: string; status: string; delivery_id: string | null; last_error: string | null };

export interface OutboxNotifierOptions {
  /** Delivery attempts made before send() returns; the dispatcher (or a re-run notify step) retries after that. */
  attempts?: number;
  /** Wait before attempt n+1 is retryDelayMs * 2^(n-1). */
  retryDelayMs?: number;
}

/**
 * Every notification is written to stockflow.outbox, then delivered through the mail channel
 * before send() returns, every attempt recorded on the row. Without a channel the outbox is the
 * destination (the control panel shows it). A notification with a dedupe key is sent at most once
 * per key: the notify step run again (an Airflow task retry) finds the row and does not mail twice.
 */
export class OutboxNotifier implements Notifier {
  private readonly channelName: 'outbox' | MailChannel['name'];

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: MailChannel | null = null,
    private readonly options: OutboxNotifierOptions = {},
  ) {
    this.channelName = channel?.name ?? 'outbox';
  }

  async send(notification: Notification): Promise<DeliveryReceipt> {
    const row = await this.record(notification);
    if (row.status === 'sent') return { channel: row.channel, id: row.id, delivered: true, deliveryId: row.delivery_id, error: null };
    if (!this.channel || row.channel !== this.channel.name) {
      return { channel: row.channel, id: row.id, delivered: false, deliveryId: null, error: row.last_error ?? `not deliverable through ${this.channelName}` };
    }
    const attempts = this.options.attempts ?? 3;
    let lastError = row.last_error ?? 'another sender is delivering it';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const claimed = await claimMessage(this.pool, row.id);
      if (!claimed) break; // sent, failed for good, or being sent by the dispatcher right now
      const result = await attemptDelivery(this.pool, this.channel, claimed);
      if (result.delivered) return { channel: row.channel, id: row.id, delivered: true, deliveryId: result.deliveryId, error: null };
      lastError = result.error;
      if (result.final || attempt === attempts) break;
      await new Promise((resolve) => setTimeout(resolve, (this.options.retryDelayMs ?? 2000) * 2 ** (attempt - 1)));
    }
    const now = await this.pool.query<{ status: string; delivery_id: string | null }>('SELECT status, delivery_id FROM stockflow.outbox WHERE id = $1', [row.id]);
    const current = now.rows[0];
    if (current?.status === 'sent') return { channel: row.channel, id: row.id, delivered: true, deliveryId: current.delivery_id, error: null };
    return { channel: row.channel, id: row.id, delivered: false, deliveryId: null, error: lastError };
  }

  /** The outbox row for this notification: the existing one for its dedupe key, or a new one. */
  private async record(notification: Notification): Promise<OutboxRow> {
    const toOutboxOnly = this.channel === null;
    const inserted = await this.pool.query<OutboxRow>(
      `INSERT INTO stockflow.outbox (run_id, outcome, channel, subject, body, status, sent_at, dedupe_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
       RETURNING id::text, channel, status, delivery_id, last_error`,
      [
        notification.runId,
        notification.outcome,
        this.channelName,
        notification.subject,
        notification.body,
        toOutboxOnly ? 'sent' : 'pending',
        toOutboxOnly ? new Date() : null,
        notification.dedupeKey ?? null,
      ],
    );
    if (inserted.rows[0]) return inserted.rows[0];
    const existing = await this.pool.query<OutboxRow>('SELECT id::text, channel, status, delivery_id, last_error FROM stockflow.outbox WHERE dedupe_key = $1', [notification.dedupeKey]);
    const row = existing.rows[0]!;
    // A message given up on is worth another try when the step runs again.
    if (row.status === 'failed' && (await reopenFailedMessage(this.pool, row.id))) row.status = 'pending';
    return row;
  }
}
