import { newRunId } from '../../pipeline/run-pipeline';
import { parseStepKey } from '../../pipeline/shard';
import { STEP_NAMES } from '../../pipeline/steps';
import { type LogPage, type Orchestrator, RunNotFoundError, type RunPage, type RunStatus, type RunView, type TaskStatus, type TaskView, type TriggerRequest } from '../../ports/orchestrator';
import { triggerOfConf } from '../../runs/run-conf';
import type { RunRepository } from '../../runs/run-repository';
import { isFinished } from '../../runs/run-status';
import { redactUrls } from '../../util/redact';
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

// A shard (`transform[2/3]`) sorts with its step, by its index.
const stepOrder = (key: string): number => {
  const { step, shard } = parseStepKey(key);
  return (STEP_NAMES as readonly string[]).indexOf(step) + (shard ? shard.index / (shard.count + 1) : 0);
};

/**
 * One run as the panel shows it: which runs exist and whether Airflow still schedules them comes
 * from Airflow; how it went (steps, progress, logs, summary, the ending by stockflow's own rule)
 * from stockflow.runs, which every step process writes.
 */
export function mergeRun(airflow: RunView | null, recorded: RunView | null): RunView | null {
  if (!airflow) return recorded;
  if (!recorded) return airflow;
  // Our ending wins once written (a mail that failed does not fail the run); before that, Airflow
  // knows best (a run it failed or killed never reached notify).
  const status = isFinished(recorded.status) ? recorded.status : airflow.status === 'queued' ? recorded.status : airflow.status;
  return {
    ...airflow,
    status,
    trigger: recorded.trigger.by !== 'airflow' ? recorded.trigger : airflow.trigger,
    conf: Object.keys(recorded.conf).length > 0 ? recorded.conf : airflow.conf,
    startedAt: recorded.startedAt ?? airflow.startedAt,
    finishedAt: isFinished(status) ? (recorded.finishedAt ?? airflow.finishedAt) : null,
    summary: recorded.summary,
    error: recorded.error ?? (status === 'failed' && !isFinished(recorded.status) ? 'Airflow failed the run before its notify step recorded an ending' : null),
  };
}

/** The Airflow DAG as our orchestrator port: Airflow's REST API for control, stockflow.* for what happened. */
export class AirflowOrchestrator implements Orchestrator {
  readonly kind = 'airflow' as const;

  constructor(
    private readonly client: AirflowClient,
    private readonly dagId: string,
    private readonly runs: RunRepository,
  ) {}

  private toView(run: AirflowDagRun): RunView {
    const conf = run.conf ?? {};
    return {
      id: run.dag_run_id,
      status: runStatusOf(run.state),
      trigger: triggerOfConf(conf, 'airflow'),
      conf,
      queuedAt: run.queued_at ?? run.logical_date ?? run.start_date ?? new Date(0).toISOString(),
      startedAt: run.start_date ?? null,
      finishedAt: run.end_date ?? null,
      summary: null,
      error: null,
    };
  }

  private async recorded(runId: string): Promise<RunView | null> {
    const run = await this.runs.getRun(runId);
    if (!run) return null;
    const { cancelRequested: _, ...view } = run;
    return view;
  }

  async trigger(request: TriggerRequest): Promise<{ runId: string; created: boolean }> {
    const runId = request.runId ?? newRunId();
    const conf = { ...request.conf, stockflow_trigger: request.trigger };
    const { created } = await this.client.triggerDagRun(this.dagId, {
      dagRunId: runId,
      conf,
      note: `${request.trigger.kind} by ${request.trigger.by}`.slice(0, 1000),
    });
    // Recorded at once, so the panel lists it before its first task starts.
    await this.runs.insertRun({ id: runId, trigger: request.trigger, conf, orchestrator: 'airflow' });
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
    const runs = await Promise.all(page.dag_runs.map(async (run) => mergeRun(this.toView(run), await this.recorded(run.dag_run_id))!));
    return { runs, nextCursor: next < page.total_entries ? String(next) : null };
  }

  async getRun(runId: string): Promise<RunView | null> {
    const recorded = await this.recorded(runId);
    let airflow: AirflowDagRun | null;
    try {
      airflow = await this.client.getDagRun(this.dagId, runId);
    } catch (error) {
      // The host may be stopped: what the steps recorded still answers.
      if (recorded) return recorded;
      throw error;
    }
    return mergeRun(airflow ? this.toView(airflow) : null, recorded);
  }

  async listTasks(runId: string): Promise<TaskView[]> {
    const recorded = await this.runs.listTasks(runId);
    // A step seen in any of its shards is shown from what they recorded (the others wait), not from Airflow's mapped instances.
    const seen = new Set(recorded.map((task) => parseStepKey(task.step).step));
    let scheduled: TaskView[] = [];
    try {
      scheduled = (await this.client.listTaskInstances(this.dagId, runId))
        .filter((task) => stepOrder(task.task_id) >= 0 && !seen.has(task.task_id))
        .map((task) => ({
          step: task.task_id,
          tryNumber: task.try_number ?? 0,
          status: taskStatusOf(task.state),
          startedAt: task.start_date ?? null,
          finishedAt: task.end_date ?? null,
          progress: { done: 0, total: 0, rows: 0 },
          error: task.state === 'upstream_failed' ? 'not run: an earlier step failed' : null,
        }));
    } catch (error) {
      if (recorded.length === 0) throw error;
    }
    return [...recorded, ...scheduled].sort((a, b) => stepOrder(a.step) - stepOrder(b.step));
  }

  async readLog(runId: string, step: string, options: { tryNumber?: number; after?: string | null; limit?: number; tail?: number }): Promise<LogPage> {
    const recorded = await this.runs.listTaskTries(runId, step);
    if (recorded.length > 0) return this.runs.readLog(runId, step, options);
    return this.readAirflowLog(runId, step, options);
  }

  /** The fallback for a task that recorded nothing (it never reached stockflow: bad image, no database). */
  private async readAirflowLog(runId: string, step: string, options: { tryNumber?: number; after?: string | null }): Promise<LogPage> {
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
    // Ask the step first (it stops at its next file and records the cancel), then stop Airflow's run.
    await this.runs.requestCancel(runId);
    await this.client.setDagRunState(this.dagId, runId, 'failed');
  }

  async health(): Promise<{ healthy: boolean; detail: string }> {
    try {
      const health = await this.client.health();
      return { healthy: health.scheduler === 'healthy' && health.metadatabase === 'healthy', detail: `Airflow scheduler ${health.scheduler}, metadatabase ${health.metadatabase}` };
    } catch (error) {
      return { healthy: false, detail: `Airflow unreachable: ${redactUrls(error instanceof Error ? error.message : String(error))}` };
    }
  }

  async retry(runId: string): Promise<void> {
    await this.client.clearFailedTasks(this.dagId, runId);
    await this.runs.requeue(runId);
  }
}
