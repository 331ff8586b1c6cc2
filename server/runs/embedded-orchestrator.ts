import { newRunId } from '../pipeline/run-pipeline';
import type { LogPage, Orchestrator, RunPage, RunView, TaskView, TriggerRequest } from '../ports/orchestrator';
import { RunNotFoundError, RunStateError } from '../ports/orchestrator';
import type { RunRepository } from './run-repository';

/** The default orchestrator: runs queued in PostgreSQL, executed by an EmbeddedRunner. */
export class EmbeddedOrchestrator implements Orchestrator {
  readonly kind = 'embedded' as const;

  constructor(private readonly runs: RunRepository) {}

  async trigger(request: TriggerRequest): Promise<{ runId: string; created: boolean }> {
    const runId = request.runId ?? newRunId();
    const created = await this.runs.insertRun({ id: runId, trigger: request.trigger, conf: request.conf ?? {}, orchestrator: 'embedded' });
    return { runId, created };
  }

  listRuns(options: Parameters<Orchestrator['listRuns']>[0]): Promise<RunPage> {
    return this.runs.listRuns(options);
  }

  async getRun(runId: string): Promise<RunView | null> {
    const run = await this.runs.getRun(runId);
    if (!run) return null;
    const { cancelRequested: _, ...view } = run;
    return view;
  }

  listTasks(runId: string): Promise<TaskView[]> {
    return this.runs.listTasks(runId);
  }

  readLog(runId: string, step: string, options: Parameters<Orchestrator['readLog']>[2]): Promise<LogPage> {
    return this.runs.readLog(runId, step, options);
  }

  async cancel(runId: string): Promise<void> {
    const status = await this.runs.requestCancel(runId);
    if (status === null) throw new RunNotFoundError(runId);
    if (status !== 'running' && status !== 'cancelled') throw new RunStateError(`Run ${runId} has already finished (${status})`);
  }

  async health(): Promise<{ healthy: boolean; detail: string }> {
    const [queued, running] = await Promise.all([this.runs.listRuns({ limit: 100, status: 'queued' }), this.runs.listRuns({ limit: 1, status: 'running' })]);
    const waiting = queued.runs.length;
    return { healthy: true, detail: `${running.runs.length > 0 ? 'a run is running' : 'idle'}; ${waiting}${queued.nextCursor ? '+' : ''} queued` };
  }

  async retry(runId: string): Promise<void> {
    if (await this.runs.requeue(runId)) return;
    const run = await this.runs.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    throw new RunStateError(`Only a failed or cancelled run can be retried; ${runId} is ${run.status}`);
  }
}
