'use server';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { runConfSchema } from '@/server/runs/run-conf';
import { LOAD_MODES, type LoadMode } from '@/server/ports/stock-table';
import { getServices } from '../../_lib/services';
import { requireRole } from '../../_lib/session';
import { publicErrorMessage } from '@/server/util/public-error';

export interface ActionResult {
  ok: boolean;
  message: string | null;
}

function failure(error: unknown): ActionResult {
  return { ok: false, message: publicErrorMessage(error, 'That did not work.') };
}

export async function triggerRun(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  let runId: string;
  try {
    const user = await requireRole('operator');
    const conf = runConfSchema.safeParse(String(form.get('conf') ?? ''));
    if (!conf.success) return { ok: false, message: conf.error.issues[0]!.message };
    const mode = loadModeFieldSchema.safeParse(form.get('mode') ?? undefined);
    if (!mode.success) return { ok: false, message: 'Load mode must be one of the choices offered.' };
    // The form's choice wins over a load_mode typed into the conf only when it asks for more than the default.
    const runConf = mode.data === 'replace' ? { ...conf.data, load_mode: 'replace' } : conf.data;
    ({ runId } = await (await getServices()).orchestrator.trigger({ trigger: { kind: 'manual', by: user.username }, conf: runConf }));
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/runs');
  redirect(`/runs/${encodeURIComponent(runId)}`);
}

const runIdSchema = z.string().min(1).max(250);
const loadModeFieldSchema = z.enum(LOAD_MODES as [LoadMode, ...LoadMode[]]).optional();

async function operateOnRun(runId: string, operate: (id: string) => Promise<void>, done: string): Promise<ActionResult> {
  try {
    await requireRole('operator');
    const id = runIdSchema.parse(runId);
    await operate(id);
    revalidatePath(`/runs/${id}`);
    return { ok: true, message: done };
  } catch (error) {
    return failure(error);
  }
}

export async function cancelRun(runId: string): Promise<ActionResult> {
  const { orchestrator } = await getServices();
  return operateOnRun(runId, (id) => orchestrator.cancel(id), 'Cancellation requested.');
}

export async function retryRun(runId: string): Promise<ActionResult> {
  const { orchestrator } = await getServices();
  return operateOnRun(runId, (id) => orchestrator.retry(id), 'Queued again from its failed step.');
}
