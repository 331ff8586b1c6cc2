import type pg from 'pg';

import type { MailChannel } from '../ports/mail-channel';

/**
 * How long undelivered mail is retried, and how often: doubling from 30 s up to every 30 min, for
 * 24 h from the first attempt (or from an operator's resend), so a mail outage of a day loses
 * nothing. After that the message is marked failed and waits for a resend.
 */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number;
}
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 30_000, maxDelayMs: 30 * 60_000, giveUpAfterMs: 24 * 3_600_000 };
// Long enough for one SMTP/SNS call; a sender that dies mid-call frees the message after it.
const CLAIM_SECONDS = 120;

export interface ClaimedMessage {
  id: string;
  subject: string;
  body: string;
  attempts: number;
}

export type AttemptResult = { delivered: true; deliveryId: string } | { delivered: false; error: string; final: boolean };

/**
 * Takes a pending message for one delivery attempt, or null when it is sent, failed or being sent
 * by someone else right now (the notify step and the dispatcher may both reach for it).
 */
export async function claimMessage(pool: pg.Pool, id: string): Promise<ClaimedMessage | null> {
  const claimed = await pool.query<ClaimedMessage>(
    `UPDATE stockflow.outbox SET claimed_until = now() + make_interval(secs => $2)
      WHERE id = $1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
      RETURNING id::text, subject, body, attempts`,
    [id, CLAIM_SECONDS],
  );
  return claimed.rows[0] ?? null;
}

/** One delivery attempt of a claimed message, recorded whatever its result; "sent" only once the channel accepted it. */
export async function attemptDelivery(pool: pg.Pool, channel: MailChannel, message: ClaimedMessage, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<AttemptResult> {
  try {
    const deliveryId = await channel.deliver({ subject: message.subject, body: message.body });
    await pool.query(
      `UPDATE stockflow.outbox SET status = 'sent', attempts = attempts + 1, last_attempt_at = now(), sent_at = now(),
              delivery_id = $2, last_error = NULL, claimed_until = NULL
        WHERE id = $1`,
      [message.id, deliveryId],
    );
    return { delivered: true, deliveryId };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const updated = await pool.query<{ status: string }>(
      `UPDATE stockflow.outbox
          SET status = CASE WHEN now() - retry_window_start >= make_interval(secs => $3) THEN 'failed' ELSE 'pending' END,
              attempts = attempts + 1, last_attempt_at = now(), last_error = $2, claimed_until = NULL
        WHERE id = $1 RETURNING status`,
      [message.id, text, policy.giveUpAfterMs / 1000],
    );
    return { delivered: false, error: text, final: updated.rows[0]?.status === 'failed' };
  }
}

/** Ids of pending messages on a channel whose next try is due under the policy (capped doubling). */
export async function dueMessageIds(pool: pg.Pool, channel: string, policy: RetryPolicy = DEFAULT_RETRY_POLICY, limit = 20): Promise<string[]> {
  const due = await pool.query<{ id: string }>(
    `SELECT id::text FROM stockflow.outbox
      WHERE status = 'pending' AND channel = $1
        AND (attempts = 0 OR last_attempt_at IS NULL
             OR last_attempt_at + make_interval(secs => least($3::float8, $2::float8 * 2 ^ least(attempts - 1, 30))) <= now())
      ORDER BY id LIMIT $4`,
    [channel, policy.baseDelayMs / 1000, policy.maxDelayMs / 1000, limit],
  );
  return due.rows.map((row) => row.id);
}

/**
 * An operator's resend of a message that was given up on: pending again, with a new retry window.
 * Null when there is no such failed message.
 */
export async function reopenFailedMessage(pool: pg.Pool, id: string): Promise<{ id: string; channel: string } | null> {
  const reopened = await pool.query<{ id: string; channel: string }>(
    `UPDATE stockflow.outbox SET status = 'pending', attempts = 0, retry_window_start = now(), claimed_until = NULL
      WHERE id = $1 AND status = 'failed' RETURNING id::text, channel`,
    [id],
  );
  return reopened.rows[0] ?? null;
}
