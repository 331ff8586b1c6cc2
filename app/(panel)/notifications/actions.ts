'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';

import { resendNotification } from '@/server/notifications/resend';
import { notificationSubject } from '@/server/pipeline/subject';
import type { IdentityFieldErrors } from '@/server/read-models/identity-fields';
import { parseIdentity } from '@/server/read-models/notifications';
import { IDENTITY_KEY, SNS_TOPIC_KEY } from '@/server/settings/settings-repository';
import { publicErrorMessage, UserFacingError } from '@/server/util/public-error';

import { getServices } from '../../_lib/services';
import { requireRole } from '../../_lib/session';

export interface NotificationActionResult {
  ok: boolean;
  message: string | null;
  /** Refusals shown beside their field (identity form). */
  fieldErrors?: IdentityFieldErrors;
}

function failure(error: unknown): NotificationActionResult {
  return { ok: false, message: publicErrorMessage(error, 'That did not work.') };
}

export async function saveIdentity(_previous: NotificationActionResult, form: FormData): Promise<NotificationActionResult> {
  try {
    await requireRole('admin');
    const parsed = parseIdentity({ cohort: form.get('cohort'), firstName: form.get('firstName'), surname: form.get('surname') });
    if (!parsed.ok) return { ok: false, message: parsed.formError ?? 'Nothing saved: see the fields marked above.', fieldErrors: parsed.fieldErrors };
    await (await getServices()).settings.set(IDENTITY_KEY, parsed.identity);
    revalidatePath('/notifications');
    return { ok: true, message: `Saved. Subjects now read ${notificationSubject(parsed.identity, 'success')}.` };
  } catch (error) {
    return failure(error);
  }
}

export async function sendTestNotification(): Promise<NotificationActionResult> {
  try {
    const user = await requireRole('admin');
    const services = await getServices();
    const context = services.pipelineContext('test', { log: () => {} });
    const identity = (await context.resolveIdentity?.()) ?? context.identity;
    const subject = notificationSubject(identity, 'success');
    const receipt = await context.notifier.send({ runId: 'test', outcome: 'success', subject, body: `Test notification from stockflow, sent by ${user.username}.\n` });
    revalidatePath('/notifications');
    if (!receipt.delivered) return { ok: false, message: `Test notification not accepted by ${receipt.channel} yet (outbox #${receipt.id}; the history below shows why). It will be retried.` };
    return { ok: true, message: `Test notification sent via ${receipt.channel} (outbox #${receipt.id}).` };
  } catch (error) {
    return failure(error);
  }
}

const topicNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,256}$/, 'Topic names use letters, digits, - and _.');
const topicArnSchema = z
  .string()
  .trim()
  .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d+:[\w-]{1,256}$/, 'That is not an SNS topic ARN.');
const emailSchema = z.email('Enter an e-mail address.');

async function snsChannel() {
  const services = await getServices();
  if (!services.sns) throw new UserFacingError('Notifications do not go through SNS here (set STOCKFLOW_NOTIFIER=sns).');
  return { services, sns: services.sns };
}

export async function setTopic(_previous: NotificationActionResult, form: FormData): Promise<NotificationActionResult> {
  try {
    await requireRole('admin');
    const { services, sns } = await snsChannel();
    const arnText = String(form.get('arn') ?? '').trim();
    let arn: string;
    if (arnText) {
      const parsed = topicArnSchema.safeParse(arnText);
      if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message };
      arn = parsed.data;
    } else {
      const name = topicNameSchema.safeParse(String(form.get('name') ?? ''));
      if (!name.success) return { ok: false, message: name.error.issues[0]!.message };
      arn = await sns.createTopic(name.data);
    }
    await services.settings.set(SNS_TOPIC_KEY, arn);
    revalidatePath('/notifications');
    return { ok: true, message: `Notifications now go to ${arn}.` };
  } catch (error) {
    return failure(error);
  }
}

export async function addSubscription(_previous: NotificationActionResult, form: FormData): Promise<NotificationActionResult> {
  try {
    await requireRole('admin');
    const email = emailSchema.safeParse(String(form.get('email') ?? '').trim());
    if (!email.success) return { ok: false, message: email.error.issues[0]!.message };
    const { sns } = await snsChannel();
    await sns.subscribeEmail(email.data);
    revalidatePath('/notifications');
    return { ok: true, message: `Subscribed ${email.data}: it stays pending until they confirm the e-mail from AWS.` };
  } catch (error) {
    return failure(error);
  }
}

export async function removeSubscription(arn: string): Promise<NotificationActionResult> {
  try {
    await requireRole('admin');
    const { sns } = await snsChannel();
    await sns.unsubscribe(z.string().startsWith('arn:').parse(arn));
    revalidatePath('/notifications');
    return { ok: true, message: 'Subscription removed.' };
  } catch (error) {
    return failure(error);
  }
}

const outboxIdSchema = z.string().regex(/^\d{1,18}$/, 'Not an outbox id.');

/** Resends a mail the dispatcher gave up on (operators: it is an operational action, not a setting). */
export async function resendMail(id: string): Promise<NotificationActionResult> {
  try {
    await requireRole('operator');
    const parsed = outboxIdSchema.safeParse(id);
    if (!parsed.success) return { ok: false, message: parsed.error.issues[0]?.message ?? 'Not an outbox id.' };
    const services = await getServices();
    const result = await resendNotification(services.pool, services.mailChannel, parsed.data);
    revalidatePath('/notifications');
    if (result.outcome === 'not-failed') return { ok: false, message: `#${parsed.data} is not a failed mail.` };
    if (result.outcome === 'sent') return { ok: true, message: `#${parsed.data} sent.` };
    return { ok: true, message: `#${parsed.data} is pending again; it is retried for 24 hours.` };
  } catch (error) {
    return failure(error);
  }
}
