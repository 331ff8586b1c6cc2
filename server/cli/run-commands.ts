import { parseArgs } from 'node:util';

import { z } from 'zod';

import { RUN_STATUSES, type RunView, type TaskView } from '../ports/orchestrator';
import { confWithFull, confWithLoadMode, runConfSchema } from '../runs/run-conf';
import { isFinished } from '../runs/run-status';
import { type Command, runIdSchema, UsageError } from './shared';

function duration(run: RunView): string {
  if (!run.startedAt) return '';
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  return `${((end - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`;
}

function rowsOf(run: RunView): string {
  const rows = (run.summary as { rows?: { loaded?: number } } | null)?.rows?.loaded;
  return rows === undefined ? '' : String(rows);
}

function taskLine(task: TaskView): string {
  const progress = task.progress.total > 0 ? ` ${task.progress.done}/${task.progress.total}` : '';
  return `  ${task.step.padEnd(10)} ${task.status.padEnd(12)} try ${task.tryNumber}${progress}${task.error ? `  ${task.error}` : ''}`;
}

function firstPositional(args: string[], what: string): { positional: string; rest: string[] } {
  const index = args.findIndex((arg) => !arg.startsWith('-'));
  if (index === -1) throw new UsageError(`${what} needs a run id`);
  return { positional: runIdSchema.parse(args[index]), rest: [...args.slice(0, index), ...args.slice(index + 1)] };
}

export const runCommands: Record<string, Command> = {
  async trigger(args, services) {
    const { values } = parseArgs({ args, options: { conf: { type: 'string' }, mode: { type: 'string' }, full: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
    const conf = confWithFull(confWithLoadMode(runConfSchema.parse(values.conf ?? ''), values.mode), values.full);
    const opened = await services();
    const user = process.env.USER ?? 'cli';
    const { runId } = await opened.orchestrator.trigger({ trigger: { kind: 'manual', by: user }, conf });
    if (values.json) process.stdout.write(`${JSON.stringify({ runId })}\n`);
    else process.stdout.write(`Queued run ${runId} (${opened.orchestrator.kind}). Follow it with: stockflow logs ${runId} --follow\n`);
    return 0;
  },

  async runs(args, services) {
    const { values } = parseArgs({
      args,
      options: { json: { type: 'boolean', default: false }, limit: { type: 'string' }, status: { type: 'string' }, before: { type: 'string' } },
    });
    const limit = z.coerce.number().int().min(1).max(500).default(20).parse(values.limit);
    const status = values.status === undefined ? undefined : z.enum(RUN_STATUSES).parse(values.status);
    const page = await (await services()).orchestrator.listRuns({ limit, status, before: values.before ?? null });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(page)}\n`);
      return 0;
    }
    if (page.runs.length === 0) process.stdout.write('No runs yet. Start one with: stockflow trigger\n');
    for (const run of page.runs) {
      process.stdout.write(`${run.id.padEnd(44)} ${run.status.padEnd(10)} ${run.trigger.kind.padEnd(7)} ${run.queuedAt}  ${duration(run).padStart(8)}  ${rowsOf(run)}\n`);
    }
    if (page.nextCursor) process.stdout.write(`More: stockflow runs --before ${page.nextCursor}\n`);
    return 0;
  },

  async logs(args, services) {
    const { positional: runId, rest } = firstPositional(args, 'logs');
    const { values } = parseArgs({ args: rest, options: { step: { type: 'string' }, follow: { type: 'boolean', default: false }, try: { type: 'string' } } });
    const { orchestrator } = await services();
    const run = await orchestrator.getRun(runId);
    if (!run) throw new UsageError(`No run ${runId}`);
    const tryNumber = values.try === undefined ? undefined : z.coerce.number().int().min(1).parse(values.try);
    const cursors = new Map<string, string | null>();
    // Steps in pipeline order; with --follow, keep reading until the run has finished.
    while (true) {
      const tasks = await orchestrator.listTasks(runId);
      const steps = values.step ? [values.step] : tasks.map((task) => task.step);
      let printed = 0;
      for (const step of steps) {
        let page = await orchestrator.readLog(runId, step, { tryNumber, after: cursors.get(step) ?? null, limit: 5000 });
        while (page.lines.length > 0) {
          for (const line of page.lines) process.stdout.write(`${line.at} ${step.padEnd(9)} ${line.level.toUpperCase().padEnd(5)} ${line.message}\n`);
          printed += page.lines.length;
          cursors.set(step, page.cursor);
          page = await orchestrator.readLog(runId, step, { tryNumber, after: page.cursor, limit: 5000 });
        }
      }
      const current = await orchestrator.getRun(runId);
      if (!values.follow || !current || isFinished(current.status)) {
        if (values.follow && current) process.stdout.write(`Run ${runId}: ${current.status}${current.error ? ` (${current.error})` : ''}\n`);
        break;
      }
      if (printed === 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return 0;
  },

  async status(args, services) {
    const { positional: runId } = firstPositional(args, 'status');
    const { orchestrator } = await services();
    const run = await orchestrator.getRun(runId);
    if (!run) throw new UsageError(`No run ${runId}`);
    process.stdout.write(`Run ${run.id}: ${run.status} (${run.trigger.kind} by ${run.trigger.by})${run.error ? `\n  ${run.error}` : ''}\n`);
    for (const task of await orchestrator.listTasks(runId)) process.stdout.write(`${taskLine(task)}\n`);
    return 0;
  },

  async cancel(args, services) {
    const { positional: runId } = firstPositional(args, 'cancel');
    await (await services()).orchestrator.cancel(runId);
    process.stdout.write(`Cancellation of ${runId} requested\n`);
    return 0;
  },

  async retry(args, services) {
    const { positional: runId } = firstPositional(args, 'retry');
    await (await services()).orchestrator.retry(runId);
    process.stdout.write(`Run ${runId} queued again from its failed step\n`);
    return 0;
  },
};
