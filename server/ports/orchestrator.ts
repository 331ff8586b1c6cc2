/** What runs the pipeline: the embedded runner or Airflow. One shape for the CLI and the UI. */

export const RUN_STATUSES = ['queued', 'running', 'success', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TASK_STATUSES = ['queued', 'running', 'success', 'failed', 'up_for_retry', 'cancelled', 'skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TriggerInfo {
  kind: 'manual' | 'event' | 'schedule';
  /** Who (user name) or what (marker key) asked for the run. */
  by: string;
}

export interface RunView {
  id: string;
  status: RunStatus;
  trigger: TriggerInfo;
  conf: Record<string, unknown>;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The JSON of `stockflow run --json`, once the run has one. */
  summary: unknown;
  error: string | null;
}

export interface TaskView {
  step: string;
  tryNumber: number;
  status: TaskStatus;
  startedAt: string | null;
  finishedAt: string | null;
  progress: { done: number; total: number; rows: number };
  error: string | null;
}

export interface LogLine {
  /** Cursor: pass the last one seen as `after` to get only newer lines. */
  id: string;
  at: string;
  level: string;
  message: string;
}

export interface LogPage {
  lines: LogLine[];
  /** Give back as `after` to continue. */
  cursor: string | null;
  /** True when the task has finished and no more lines will come. */
  complete: boolean;
}

export interface RunPage {
  runs: RunView[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

export interface TriggerRequest {
  trigger: TriggerInfo;
  conf?: Record<string, unknown>;
  /** A deterministic id makes triggering idempotent (the same marker never starts two runs). */
  runId?: string;
}

export interface Orchestrator {
  readonly kind: 'embedded' | 'airflow';
  /** created is false when a run with that id already existed (nothing new was started). */
  trigger(request: TriggerRequest): Promise<{ runId: string; created: boolean }>;
  /** Newest first; `from`/`to` (YYYY-MM-DD, inclusive) bound the day the run was queued. */
  listRuns(options: { limit: number; before?: string | null; status?: RunStatus; from?: string; to?: string }): Promise<RunPage>;
  getRun(runId: string): Promise<RunView | null>;
  listTasks(runId: string): Promise<TaskView[]>;
  /** Lines after a cursor; with `tail`, the last `tail` lines (for opening a long log at its end). */
  readLog(runId: string, step: string, options: { tryNumber?: number; after?: string | null; limit?: number; tail?: number }): Promise<LogPage>;
  cancel(runId: string): Promise<void>;
  /** Runs the failed steps of a finished run again. */
  retry(runId: string): Promise<void>;
  /** Whether the engine can take runs now, in a sentence for operators. */
  health(): Promise<{ healthy: boolean; detail: string }>;
}

export class RunNotFoundError extends Error {
  readonly expose = true;
  constructor(readonly runId: string) {
    super(`No run ${runId}`);
    this.name = 'RunNotFoundError';
  }
}

export class RunStateError extends Error {
  readonly expose = true;
  constructor(message: string) {
    super(message);
    this.name = 'RunStateError';
  }
}

/** A log cursor this engine did not hand out. */
export class InvalidCursorError extends Error {
  readonly expose = true;
  constructor(cursor: string) {
    super(`Not a log cursor: ${JSON.stringify(cursor.slice(0, 40))}`);
    this.name = 'InvalidCursorError';
  }
}
