import type pg from 'pg';
import type { MailChannel } from '../ports/mail-channel';

/** After this many recorded attempts a message is marked failed (the dispatcher stops retrying). */
export const MAX_DELIVERY_ATTEMPTS = 6;
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
export async function attemptDelivery(pool: pg.Pool, channel: MailChannel, message: ClaimedMessage): Promise<AttemptResult> {
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
    const final = message.attempts + 1 >= MAX_DELIVERY_ATTEMPTS;
    await pool.query(
      `UPDATE stockflow.outbox SET status = $3, attempts = attempts + 1, last_attempt_at = now(), last_error = $2, claimed_until = NULL
        WHERE id = $1`,
      [message.id, text, final ? 'failed' : 'pending'],
    );
    return { delivered: false, error: text, final };
  }
}
