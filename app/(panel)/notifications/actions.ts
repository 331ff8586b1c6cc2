'use server';
import { revalidatePath } from 'next/cache';
import { notificationSubject } from '@/server/pipeline/subject';
import { identitySchema } from '@/server/read-models/notifications';
import { IDENTITY_KEY } from '@/server/settings/settings-repository';
import { getServices } from '../../_lib/services';
import { ForbiddenError, requireRole } from '../../_lib/session';

export interface NotificationActionResult {
  ok: boolean;
  message: string | null;
}

function failure(error: unknown): NotificationActionResult {
  return { ok: false, message: error instanceof ForbiddenError || error instanceof Error ? error.message : 'Something went wrong.' };
}

export async function saveIdentity(_previous: NotificationActionResult, form: FormData): Promise<NotificationActionResult> {
  try {
    await requireRole('admin');
    const parsed = identitySchema.safeParse({ cohort: form.get('cohort'), firstName: form.get('firstName'), surname: form.get('surname') });
    if (!parsed.success) return { ok: false, message: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
    notificationSubject(parsed.data, 'success');
    await (await getServices()).settings.set(IDENTITY_KEY, parsed.data);
    revalidatePath('/notifications');
    return { ok: true, message: `Saved. Subjects now read ${notificationSubject(parsed.data, 'success')}.` };
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
    return { ok: true, message: `Test notification queued (${receipt.channel} #${receipt.id}).` };
  } catch (error) {
    return failure(error);
  }
}
