import type pg from 'pg';

import type { MailChannel } from '../ports/mail-channel';
import { attemptDelivery, claimMessage, reopenFailedMessage } from './outbox-delivery';

export type ResendResult = { outcome: 'not-failed' } | { outcome: 'sent'; deliveryId: string } | { outcome: 'pending'; error: string | null };

/**
 * An operator resends a mail that was given up on (panel or `stockflow mail resend`): it is pending
 * again with a new day of retries, and one attempt is made at once when its channel is configured
 * here. "sent" only when the channel accepted it.
 */
export async function resendNotification(pool: pg.Pool, channel: MailChannel | null, id: string): Promise<ResendResult> {
  const reopened = await reopenFailedMessage(pool, id);
  if (!reopened) return { outcome: 'not-failed' };
  if (!channel || channel.name !== reopened.channel) return { outcome: 'pending', error: `no ${reopened.channel} channel in this process; the dispatcher will send it` };
  const claimed = await claimMessage(pool, id);
  if (!claimed) return { outcome: 'pending', error: null };
  const result = await attemptDelivery(pool, channel, claimed);
  return result.delivered ? { outcome: 'sent', deliveryId: result.deliveryId } : { outcome: 'pending', error: result.error };
}
