'use server';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { getServices } from '../../_lib/services';
import { ForbiddenError, requireRole } from '../../_lib/session';

export interface ActionResult {
  ok: boolean;
  message: string | null;
}

const confSchema = z
  .string()
  .trim()
  .transform((text, context) => {
    if (!text) return {};
    try {
      const value = JSON.parse(text) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    context.addIssue({ code: 'custom', message: 'Conf must be a JSON object, like {"note":"rerun"}.' });
    return z.NEVER;
  });

function failure(error: unknown): ActionResult {
  if (error instanceof ForbiddenError) return { ok: false, message: error.message };
  return { ok: false, message: error instanceof Error ? error.message : 'Something went wrong.' };
}

export async function triggerRun(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  let runId: string;
  try {
    const user = await requireRole('operator');
    const conf = confSchema.safeParse(String(form.get('conf') ?? ''));
    if (!conf.success) return { ok: false, message: conf.error.issues[0]!.message };
    ({ runId } = await (await getServices()).orchestrator.trigger({ trigger: { kind: 'manual', by: user.username }, conf: conf.data }));
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/runs');
  redirect(`/runs/${encodeURIComponent(runId)}`);
}

const runIdSchema = z.string().min(1).max(250);

export async function cancelRun(runId: string): Promise<ActionResult> {
  try {
    await requireRole('operator');
    await (await getServices()).orchestrator.cancel(runIdSchema.parse(runId));
    revalidatePath(`/runs/${runId}`);
    return { ok: true, message: 'Cancellation requested.' };
  } catch (error) {
    return failure(error);
  }
}

export async function retryRun(runId: string): Promise<ActionResult> {
  try {
    await requireRole('operator');
    await (await getServices()).orchestrator.retry(runIdSchema.parse(runId));
    revalidatePath(`/runs/${runId}`);
    return { ok: true, message: 'Queued again from its failed step.' };
  } catch (error) {
    return failure(error);
  }
}
