import type pg from 'pg';
import type { Logger } from '../ports/logger';
import type { MailChannel } from '../ports/mail-channel';
import { PollingLoop } from '../util/polling-loop';
import { attemptDelivery, claimMessage } from './outbox-delivery';

/**
 * Retries what the notify step could not deliver: pending outbox messages go out through the mail
 * channel, every attempt recorded. A failed delivery stays pending and is retried with growing
 * delays (30 s, 1, 2, 4, 8 min), then is marked failed. Delivery never touches a run's own outcome.
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
    const dueRows = await pool.query<{ id: string }>(
      `SELECT id::text FROM stockflow.outbox
        WHERE status = 'pending' AND channel = $1
          AND (attempts = 0 OR coalesce(last_attempt_at, created_at) + make_interval(secs => $2 * 2 ^ (attempts - 1)) <= now())
        ORDER BY id LIMIT 20`,
      [channel.name, baseDelaySeconds],
    );
    let delivered = 0;
    for (const due of dueRows.rows) {
      // The notify step may be delivering this very message: only the claim holder sends it.
      const message = await claimMessage(pool, due.id);
      if (!message) continue;
      const result = await attemptDelivery(pool, channel, message);
      if (result.delivered) delivered += 1;
      else log.log(result.final ? 'error' : 'warn', `notification #${message.id} via ${channel.name} failed (attempt ${message.attempts + 1}): ${result.error}`);
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
