import type pg from 'pg';
import type { Logger } from '../ports/logger';
import type { MailChannel } from '../ports/mail-channel';
import { PollingLoop } from '../util/polling-loop';

const MAX_ATTEMPTS = 6;

/**
 * Delivers pending outbox messages through the mail channel and records every attempt. A failed
 * delivery stays pending and is retried with growing delays (30 s, 1, 2, 4, 8 min), then is
 * marked failed. Delivery never touches a run's own outcome.
 */
export class OutboxDispatcher {
  private readonly loop: PollingLoop;

  constructor(private readonly options: { pool: pg.Pool; channel: MailChannel; log: Logger; intervalMs?: number; baseDelayMs?: number }) {
    this.loop = new PollingLoop(() => this.dispatchDue(), options.intervalMs ?? 2000, (error) =>
      options.log.log('error', `outbox: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** Sends what is due now; returns how many were delivered. */
  async dispatchDue(): Promise<number> {
    const { pool, channel, log } = this.options;
    const baseDelaySeconds = (this.options.baseDelayMs ?? 30_000) / 1000;
    const due = await pool.query<{ id: string; subject: string; body: string; attempts: number }>(
      `SELECT id, subject, body, attempts FROM stockflow.outbox
        WHERE status = 'pending' AND channel = $1
          AND (attempts = 0 OR coalesce(last_attempt_at, created_at) + make_interval(secs => $2 * 2 ^ (attempts - 1)) <= now())
        ORDER BY id LIMIT 20`,
      [channel.name, baseDelaySeconds],
    );
    let delivered = 0;
    for (const message of due.rows) {
      try {
        const id = await channel.deliver({ subject: message.subject, body: message.body });
        await pool.query(
          `UPDATE stockflow.outbox SET status = 'sent', attempts = attempts + 1, last_attempt_at = now(), sent_at = now(), delivery_id = $2, last_error = NULL WHERE id = $1`,
          [message.id, id],
        );
        delivered += 1;
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        const final = message.attempts + 1 >= MAX_ATTEMPTS;
        await pool.query(
          `UPDATE stockflow.outbox SET status = $3, attempts = attempts + 1, last_attempt_at = now(), last_error = $2 WHERE id = $1`,
          [message.id, text, final ? 'failed' : 'pending'],
        );
        log.log(final ? 'error' : 'warn', `notification #${message.id} via ${channel.name} failed (attempt ${message.attempts + 1}): ${text}`);
      }
    }
    return delivered;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
