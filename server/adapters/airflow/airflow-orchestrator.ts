import { newRunId } from '../../pipeline/run-pipeline';
import { STEP_NAMES } from '../../pipeline/steps';
import {
  RunNotFoundError,
  type LogPage,
  type Orchestrator,
  type RunPage,
  type RunStatus,
  type RunView,
  type TaskStatus,
  type TaskView,
  type TriggerRequest,
} from '../../ports/orchestrator';
import type { AirflowClient, AirflowDagRun } from './airflow-client';

/** Airflow's DAG run states in ours. */
export function runStatusOf(state: string | null | undefined): RunStatus {
  switch (state) {
    case 'success':
      return 'success';
    case 'failed':
      return 'failed';
    case 'running':
      return 'running';
    default:
      return 'queued';
  }
}

/** Airflow's task instance states in ours (null: not scheduled yet). */
export function taskStatusOf(state: string | null | undefined): TaskStatus {
  switch (state) {
    case 'success':
      return 'success';
    case 'failed':
    case 'upstream_failed':
      return 'failed';
    case 'running':
    case 'deferred':
    case 'restarting':
      return 'running';
    case 'up_for_retry':
    case 'up_for_reschedule':
      return 'up_for_retry';
    case 'skipped':
    case 'removed':
      return 'skipped';
    default:
      return 'queued';
  }
}

/** The Airflow DAG as our orchestrator port: runs, tasks and logs come from its REST API. */
export class AirflowOrchestrator implements Orchestrator {
  readonly kind = 'airflow' as const;

  constructor(private readonly client: AirflowClient, private readonly dagId: string) {}

  private toView(run: AirflowDagRun): RunView {
    const conf = run.conf ?? {};
    const trigger = (conf.stockflow_trigger as RunView['trigger'] | undefined) ?? { kind: 'manual', by: 'airflow' };
    return {
      id: run.dag_run_id,
      status: runStatusOf(run.state),
      trigger,
      conf,
      queuedAt: run.queued_at ?? run.logical_date ?? run.start_date ?? new Date(0).toISOString(),
      startedAt: run.start_date ?? null,
      finishedAt: run.end_date ?? null,
      summary: null,
      error: null,
    };
  }

  async trigger(request: TriggerRequest): Promise<{ runId: string; created: boolean }> {
    const runId = request.runId ?? newRunId();
    const { created } = await this.client.triggerDagRun(this.dagId, {
      dagRunId: runId,
      conf: { ...request.conf, stockflow_trigger: request.trigger },
      note: `${request.trigger.kind} by ${request.trigger.by}`.slice(0, 1000),
    });
    return { runId, created };
  }

  async listRuns(options: { limit: number; before?: string | null; status?: RunStatus; from?: string; to?: string }): Promise<RunPage> {
    // Airflow pages by offset; the cursor is the offset of the next page.
    const offset = Number(options.before ?? 0);
    const page = await this.client.listDagRuns(this.dagId, {
      limit: options.limit,
      offset,
      state: options.status === 'cancelled' ? undefined : options.status,
      startFrom: options.from ? `${options.from}T00:00:00Z` : undefined,
      startTo: options.to ? `${options.to}T23:59:59Z` : undefined,
    });
    const next = offset + page.dag_runs.length;
    return { runs: page.dag_runs.map((run) => this.toView(run)), nextCursor: next < page.total_entries ? String(next) : null };
  }

  async getRun(runId: string): Promise<RunView | null> {
    const run = await this.client.getDagRun(this.dagId, runId);
    return run ? this.toView(run) : null;
  }

  async listTasks(runId: string): Promise<TaskView[]> {
    const tasks = await this.client.listTaskInstances(this.dagId, runId);
    const order = (taskId: string): number => (STEP_NAMES as readonly string[]).indexOf(taskId);
    return tasks
      .sort((a, b) => order(a.task_id) - order(b.task_id))
      .map((task) => ({
        step: task.task_id,
        tryNumber: task.try_number ?? 0,
        status: taskStatusOf(task.state),
        startedAt: task.start_date ?? null,
        finishedAt: task.end_date ?? null,
        progress: { done: 0, total: 0, rows: 0 },
        error: null,
      }));
  }

  async readLog(runId: string, step: string, options: { tryNumber?: number; after?: string | null }): Promise<LogPage> {
    const task = (await this.client.listTaskInstances(this.dagId, runId)).find((candidate) => candidate.task_id === step);
    if (!task) throw new RunNotFoundError(`${runId}/${step}`);
    const tryNumber = options.tryNumber ?? Math.max(task.try_number ?? 1, 1);
    const chunk = await this.client.getTaskLog(this.dagId, runId, step, tryNumber, options.after ?? null);
    const finished = ['success', 'failed', 'upstream_failed', 'skipped'].includes(task.state ?? '');
    return {
      lines: chunk.lines.map((line, index) => ({ id: `${options.after ?? 'start'}:${index}`, at: line.at ?? '', level: line.level ?? 'info', message: line.message })),
      cursor: chunk.continuationToken ?? options.after ?? null,
      complete: finished && chunk.lines.length === 0,
    };
  }

  async cancel(runId: string): Promise<void> {
    await this.client.setDagRunState(this.dagId, runId, 'failed');
  }

  async health(): Promise<{ healthy: boolean; detail: string }> {
    try {
      const health = await this.client.health();
      return { healthy: health.scheduler === 'healthy' && health.metadatabase === 'healthy', detail: `Airflow scheduler ${health.scheduler}, metadatabase ${health.metadatabase}` };
    } catch (error) {
      return { healthy: false, detail: `Airflow unreachable: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  async retry(runId: string): Promise<void> {
    await this.client.clearFailedTasks(this.dagId, runId);
  }
}
