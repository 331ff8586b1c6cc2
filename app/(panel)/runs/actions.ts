'use server';
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';

import { paths } from '@/components/shared/paths';
import { LOAD_MODES, type LoadMode } from '@/server/ports/stock-table';
import { confWithFull, runConfSchema } from '@/server/runs/run-conf';
import { runIdSchema as recordedRunIdSchema } from '@/server/runs/run-id';
import { isRerunnable } from '@/server/runs/run-status';
import { publicErrorMessage } from '@/server/util/public-error';

import { getServices } from '../../_lib/services';
import { requireRole } from '../../_lib/session';

export interface ActionResult {
  ok: boolean;
  message: string | null;
  /** The form field the message is about, when it is about one. */
  field?: string;
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
    const withMode = mode.data === 'replace' ? { ...conf.data, load_mode: 'replace' } : conf.data;
    // A ticked "read unchanged files too" box; unticked leaves a full typed into the conf as it is.
    const runConf = confWithFull(withMode, form.get('full') === 'true');
    ({ runId } = await (await getServices()).orchestrator.trigger({ trigger: { kind: 'manual', by: user.username }, conf: runConf }));
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/runs');
  redirect(paths.run(runId));
}

const runIdSchema = z.string().min(1).max(250);
const loadModeFieldSchema = z.enum(LOAD_MODES as [LoadMode, ...LoadMode[]]).optional();

async function operateOnRun(runId: string, operate: (id: string) => Promise<void>, done: string): Promise<ActionResult> {
  try {
    await requireRole('operator');
    const id = runIdSchema.parse(runId);
    await operate(id);
    revalidatePath(paths.run(id));
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

/** Starts a NEW run with the conf of a finished one, as edited by the operator, and opens it. */
export async function rerunWithConf(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  let runId: string;
  try {
    const user = await requireRole('operator');
    const source = recordedRunIdSchema.safeParse(String(form.get('runId') ?? ''));
    if (!source.success) return { ok: false, message: source.error.issues[0]!.message };
    const conf = runConfSchema.safeParse(String(form.get('conf') ?? ''));
    if (!conf.success) return { ok: false, field: 'conf', message: conf.error.issues[0]!.message };
    const { orchestrator } = await getServices();
    const run = await orchestrator.getRun(source.data);
    if (!run) return { ok: false, message: `No run ${source.data}.` };
    if (!isRerunnable(run.status)) return { ok: false, message: `Run ${run.id} is ${run.status}: re-run it once it has finished.` };
    ({ runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: user.username }, conf: conf.data }));
  } catch (error) {
    return failure(error);
  }
  revalidatePath('/runs');
  redirect(paths.run(runId));
}

const selectedRunsSchema = z.array(recordedRunIdSchema).min(1, 'Select at least one run to cancel.').max(100, 'Cancel at most 100 runs at once.');

/** Cancels the selected runs: queued ones at once, running ones are asked to stop. */
export async function cancelRuns(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  try {
    await requireRole('operator');
    const selected = selectedRunsSchema.safeParse(form.getAll('runId').map(String));
    if (!selected.success) return { ok: false, field: 'runId', message: selected.error.issues[0]!.message };
    const { orchestrator } = await getServices();
    let cancelled = 0;
    let stopping = 0;
    const refused: string[] = [];
    for (const id of new Set(selected.data)) {
      try {
        await orchestrator.cancel(id);
        if ((await orchestrator.getRun(id))?.status === 'cancelled') cancelled += 1;
        else stopping += 1;
      } catch (error) {
        refused.push(`${id}: ${publicErrorMessage(error, 'could not be cancelled.')}`);
      }
    }
    revalidatePath('/runs');
    const runs = (count: number) => `${count} run${count === 1 ? '' : 's'}`;
    const parts = [`Cancelled ${runs(cancelled)}.`];
    if (stopping > 0) parts.push(`Asked ${runs(stopping)} to stop.`);
    if (refused.length > 0) parts.push(`Not cancelled: ${refused.join('; ')}`);
    return { ok: refused.length === 0, message: parts.join(' ') };
  } catch (error) {
    return failure(error);
  }
}
