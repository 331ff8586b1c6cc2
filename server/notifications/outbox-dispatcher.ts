import type pg from 'pg';

import type { Logger } from '../ports/logger';
import type { MailChannel } from '../ports/mail-channel';
import { PollingLoop } from '../util/polling-loop';
import { attemptDelivery, claimMessage, DEFAULT_RETRY_POLICY, dueMessageIds, type RetryPolicy } from './outbox-delivery';

/**
 * Retries what the notify step could not deliver: pending outbox messages go out through the mail
 * channel, every attempt recorded. A failed delivery stays pending and is retried with capped
 * doubling delays for a day (RetryPolicy), then is marked failed until an operator resends it.
 * Delivery never touches a run's own outcome.
 */
export class OutboxDispatcher {
  private readonly loop: PollingLoop;

  private readonly policy: RetryPolicy;

  constructor(private readonly options: { pool: pg.Pool; channel: MailChannel; log: Logger; intervalMs?: number; retry?: Partial<RetryPolicy> }) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.loop = new PollingLoop(
      () => this.dispatchDue(),
      options.intervalMs ?? 2000,
      (error) => options.log.log('error', `outbox: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** Sends what is due now; returns how many were delivered. */
  async dispatchDue(): Promise<number> {
    const { pool, channel, log } = this.options;
    const due = await dueMessageIds(pool, channel.name, this.policy);
    let delivered = 0;
    for (const id of due) {
      // The notify step may be delivering this very message: only the claim holder sends it.
      const message = await claimMessage(pool, id);
      if (!message) continue;
      const result = await attemptDelivery(pool, channel, message, this.policy);
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
