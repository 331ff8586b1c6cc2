import type pg from 'pg';

import { InvalidCursorError, type LogLine, type LogPage, type RunPage, type RunStatus, type RunView, type TaskStatus, type TaskView, type TriggerInfo } from '../ports/orchestrator';
import { recordAirflowMarkerRun } from '../trigger/airflow-marker-run';
import { isFinished, RETRYABLE_RUN_STATUSES } from './run-status';

interface RunRow {
  id: string;
  seq: string;
  trigger_kind: TriggerInfo['kind'];
  triggered_by: string;
  status: RunStatus;
  conf: Record<string, unknown>;
  summary: unknown;
  error: string | null;
  cancel_requested: boolean;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

interface TaskRow {
  step: string;
  try_number: number;
  status: TaskStatus;
  started_at: Date | null;
  finished_at: Date | null;
  progress_done: number;
  progress_total: number;
  progress_rows: string;
  error: string | null;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

function toRunView(row: RunRow): RunView {
  return {
    id: row.id,
    status: row.status,
    trigger: { kind: row.trigger_kind, by: row.triggered_by },
    conf: row.conf,
    queuedAt: row.queued_at.toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    summary: row.summary,
    error: row.error,
  };
}

function toTaskView(row: TaskRow): TaskView {
  return {
    step: row.step,
    tryNumber: row.try_number,
    status: row.status,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    progress: { done: row.progress_done, total: row.progress_total, rows: Number(row.progress_rows) },
    error: row.error,
  };
}

/** Which lines of a step's log to read: one try (else all), some levels (else all), lines containing a text. */
export interface LogFilter {
  tryNumber?: number;
  levels?: string[];
  contains?: string;
}

/** An ILIKE pattern matching the text literally (its % and _ are not wildcards). */
function containsPattern(text: string | undefined): string | null {
  return text ? `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%` : null;
}

export interface NewLogLine {
  runId: string;
  step: string;
  tryNumber: number;
  level: string;
  message: string;
  at: Date;
}

/** stockflow.runs, task_runs and task_logs: the run history every engine and screen shares. */
export class RunRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Queues a run; false when a run with that id exists already (idempotent triggers). */
  async insertRun(run: { id: string; trigger: TriggerInfo; conf: Record<string, unknown>; orchestrator: string; status?: RunStatus }): Promise<boolean> {
    const inserted = await this.pool.query(
      `INSERT INTO stockflow.runs (id, trigger_kind, triggered_by, status, orchestrator, conf)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [run.id, run.trigger.kind, run.trigger.by, run.status ?? 'queued', run.orchestrator, JSON.stringify(run.conf)],
    );
    if ((inserted.rowCount ?? 0) > 0) await this.pool.query("SELECT pg_notify('stockflow_runs', $1)", [run.id]);
    return (inserted.rowCount ?? 0) > 0;
  }

  /**
   * A step process reports its run as running: the run is created when this is its first step (an
   * Airflow run triggered by the Lambda has no record yet), and taken back from a finished state
   * when an engine runs a step again (a cleared task). A cancelled run stays cancelled.
   */
  async markRunning(run: { id: string; trigger: TriggerInfo; conf: Record<string, unknown>; orchestrator: string }): Promise<RunStatus> {
    const updated = await this.pool.query<{ status: RunStatus; inserted: boolean }>(
      `INSERT INTO stockflow.runs (id, trigger_kind, triggered_by, status, orchestrator, conf, started_at)
       VALUES ($1, $2, $3, 'running', $4, $5, now())
       ON CONFLICT (id) DO UPDATE
         SET status = CASE WHEN runs.status = 'cancelled' THEN runs.status ELSE 'running' END,
             started_at = coalesce(runs.started_at, now()),
             finished_at = CASE WHEN runs.status = 'cancelled' THEN runs.finished_at ELSE NULL END,
             error = CASE WHEN runs.status = 'cancelled' THEN runs.error ELSE NULL END,
             conf = CASE WHEN runs.conf = '{}'::jsonb THEN EXCLUDED.conf ELSE runs.conf END
       RETURNING status, (xmax = 0) AS inserted`,
      [run.id, run.trigger.kind, run.trigger.by, run.orchestrator, JSON.stringify(run.conf)],
    );
    const { status, inserted } = updated.rows[0]!;
    // A run first seen here with a marker the Lambda put in dag_run.conf: the marker log's only
    // word of it (the Lambda cannot reach the database). Runs stockflow triggered were logged then.
    if (inserted) await recordAirflowMarkerRun(this.pool, run.id, run.conf);
    return status;
  }

  async getRun(id: string): Promise<(RunView & { cancelRequested: boolean }) | null> {
    const found = await this.pool.query<RunRow>('SELECT * FROM stockflow.runs WHERE id = $1', [id]);
    const row = found.rows[0];
    return row ? { ...toRunView(row), cancelRequested: row.cancel_requested } : null;
  }

  /** Newest first, keyset-paged by insertion order. */
  async listRuns(options: { limit: number; before?: string | null; status?: RunStatus; from?: string; to?: string }): Promise<RunPage> {
    const limit = Math.min(Math.max(options.limit, 1), 500);
    // Every column but the whole summary (it can be large): lists show its counts and the first rejects' reasons.
    const listSummary = `CASE WHEN summary IS NOT NULL THEN jsonb_build_object('rows', summary->'rows', 'files', summary->'files',
      'firstRejects', CASE WHEN jsonb_typeof(summary->'firstRejects') = 'array' THEN (SELECT coalesce(jsonb_agg(reject - 'raw' ORDER BY n), '[]')
        FROM jsonb_array_elements(summary->'firstRejects') WITH ORDINALITY AS r(reject, n) WHERE n <= 5) END) END`;
    const found = await this.pool.query<RunRow>(
      `SELECT (listed.run).* FROM (
       SELECT jsonb_populate_record(NULL::stockflow.runs, to_jsonb(runs) || jsonb_build_object('summary', ${listSummary})) AS run FROM stockflow.runs
        WHERE ($1::bigint IS NULL OR seq < $1::bigint) AND ($2::text IS NULL OR status = $2)
          AND ($4::date IS NULL OR queued_at >= $4::date) AND ($5::date IS NULL OR queued_at < $5::date + 1)
        ORDER BY seq DESC LIMIT $3) listed ORDER BY (listed.run).seq DESC`,
      [options.before ?? null, options.status ?? null, limit + 1, options.from ?? null, options.to ?? null],
    );
    const rows = found.rows.slice(0, limit);
    return { runs: rows.map(toRunView), nextCursor: found.rows.length > limit ? rows[rows.length - 1]!.seq : null };
  }

  /** Takes the oldest queued run for this worker, if any. */
  async claimNextQueued(workerId: string): Promise<RunView | null> {
    const claimed = await this.pool.query<RunRow>(
      `UPDATE stockflow.runs SET status = 'running', worker_id = $1, started_at = coalesce(started_at, now()), finished_at = NULL, error = NULL
        WHERE id = (SELECT id FROM stockflow.runs WHERE status = 'queued' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [workerId],
    );
    return claimed.rows[0] ? toRunView(claimed.rows[0]) : null;
  }

  /** Runs (and their tasks) left 'running' by a worker that is gone: failed, with the reason. */
  async failOrphanedRuns(reason: string): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const runs = await client.query<{ id: string }>(`UPDATE stockflow.runs SET status = 'failed', error = $1, finished_at = now() WHERE status = 'running' RETURNING id`, [reason]);
      await client.query(`UPDATE stockflow.task_runs SET status = 'failed', error = $1, finished_at = now() WHERE status = 'running'`, [reason]);
      await client.query('COMMIT');
      return runs.rows.map((row) => row.id);
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Embedded runs left `running` while this worker holds the runner lock: their worker is gone (no
   * one else may execute them). They are handed to `workerId` to settle, except `keep` (the runs it
   * is executing itself), each with the steps whose try was cut short. Airflow and `stockflow run`
   * runs are executed by their own processes and are never taken.
   */
  async takeOverOrphanedRuns(workerId: string, keep: string[]): Promise<{ id: string; interruptedSteps: string[] }[]> {
    const taken = await this.pool.query<{ id: string }>(
      `UPDATE stockflow.runs SET worker_id = $1
        WHERE status = 'running' AND orchestrator = 'embedded' AND NOT (id = ANY($2::text[]))
        RETURNING id`,
      [workerId, keep],
    );
    if (taken.rows.length === 0) return [];
    const steps = await this.pool.query<{ run_id: string; step: string }>(`SELECT run_id, step FROM stockflow.task_runs WHERE run_id = ANY($1::text[]) AND status = 'running' ORDER BY started_at`, [
      taken.rows.map((row) => row.id),
    ]);
    return taken.rows.map((row) => ({ id: row.id, interruptedSteps: steps.rows.filter((step) => step.run_id === row.id).map((step) => step.step) }));
  }

  /** The tries of a run still marked running whose worker is gone: failed, with the reason. */
  async failRunningTasks(runId: string, reason: string): Promise<void> {
    await this.pool.query(`UPDATE stockflow.task_runs SET status = 'failed', error = $2, finished_at = now() WHERE run_id = $1 AND status = 'running'`, [runId, reason]);
  }

  /** A step's try cut short by a database outage or a lost runner lock (`tryNumber` when it is known): up for retry. */
  async markTriesInterrupted(runId: string, step: string, tryNumber: number | null, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE stockflow.task_runs SET status = 'up_for_retry', error = $4, finished_at = coalesce(finished_at, now())
        WHERE run_id = $1 AND step = $2 AND (status = 'running' OR try_number = $3)`,
      [runId, step, tryNumber, reason],
    );
  }

  /** Whether the run is still running under this worker (no other worker settled or took it meanwhile). */
  async isRunOwnedBy(runId: string, workerId: string): Promise<boolean> {
    const found = await this.pool.query('SELECT 1 FROM stockflow.runs WHERE id = $1 AND status = $2 AND worker_id = $3', [runId, 'running', workerId]);
    return (found.rowCount ?? 0) > 0;
  }

  async finishRun(id: string, status: RunStatus, summary: unknown, error: string | null): Promise<void> {
    await this.pool.query(`UPDATE stockflow.runs SET status = $2, summary = $3, error = $4, finished_at = now(), cancel_requested = false WHERE id = $1`, [
      id,
      status,
      summary === undefined ? null : JSON.stringify(summary),
      error,
    ]);
  }

  /** Cancels a queued run at once; asks a running one to stop. */
  async requestCancel(id: string): Promise<RunStatus | null> {
    const updated = await this.pool.query<{ status: RunStatus }>(
      `UPDATE stockflow.runs
          SET status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
              finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
              cancel_requested = (status = 'running')
        WHERE id = $1 RETURNING status`,
      [id],
    );
    return updated.rows[0]?.status ?? null;
  }

  async isCancelRequested(id: string): Promise<boolean> {
    const found = await this.pool.query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM stockflow.runs WHERE id = $1', [id]);
    return found.rows[0]?.cancel_requested ?? false;
  }

  /** Queues a finished, unsuccessful run again; its successful steps are kept. */
  async requeue(id: string): Promise<boolean> {
    const updated = await this.pool.query(
      `UPDATE stockflow.runs SET status = 'queued', cancel_requested = false, error = NULL, finished_at = NULL
        WHERE id = $1 AND status = ANY($2::text[])`,
      [id, RETRYABLE_RUN_STATUSES],
    );
    if ((updated.rowCount ?? 0) > 0) await this.pool.query("SELECT pg_notify('stockflow_runs', $1)", [id]);
    return (updated.rowCount ?? 0) > 0;
  }

  async nextTryNumber(runId: string, step: string): Promise<number> {
    const found = await this.pool.query<{ last: number | null }>('SELECT max(try_number) AS last FROM stockflow.task_runs WHERE run_id = $1 AND step = $2', [runId, step]);
    return (found.rows[0]?.last ?? 0) + 1;
  }

  async startTask(runId: string, step: string, tryNumber: number): Promise<void> {
    await this.pool.query(
      // An engine may run the same try number again (Airflow clears a task): that try starts over.
      `INSERT INTO stockflow.task_runs (run_id, step, try_number, status) VALUES ($1, $2, $3, 'running')
       ON CONFLICT (run_id, step, try_number) DO UPDATE SET status = 'running', started_at = now(), finished_at = NULL,
         error = NULL, progress_done = 0, progress_total = 0, progress_rows = 0`,
      [runId, step, tryNumber],
    );
  }

  async finishTask(runId: string, step: string, tryNumber: number, status: TaskStatus, error: string | null): Promise<void> {
    await this.pool.query(`UPDATE stockflow.task_runs SET status = $4, error = $5, finished_at = now() WHERE run_id = $1 AND step = $2 AND try_number = $3`, [runId, step, tryNumber, status, error]);
  }

  async updateProgress(runId: string, step: string, tryNumber: number, progress: { done: number; total: number; rows: number }): Promise<void> {
    await this.pool.query(
      `UPDATE stockflow.task_runs SET progress_done = $4, progress_total = $5, progress_rows = $6
        WHERE run_id = $1 AND step = $2 AND try_number = $3`,
      [runId, step, tryNumber, progress.done, progress.total, progress.rows],
    );
  }

  /** Latest try of each step, in step order of first start. */
  async listTasks(runId: string): Promise<TaskView[]> {
    const found = await this.pool.query<TaskRow>(`SELECT DISTINCT ON (step) * FROM stockflow.task_runs WHERE run_id = $1 ORDER BY step, try_number DESC`, [runId]);
    return found.rows.map(toTaskView).sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
  }

  async listTaskTries(runId: string, step: string): Promise<TaskView[]> {
    const found = await this.pool.query<TaskRow>('SELECT * FROM stockflow.task_runs WHERE run_id = $1 AND step = $2 ORDER BY try_number', [runId, step]);
    return found.rows.map(toTaskView);
  }

  async appendLogs(lines: NewLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.pool.query(
      `INSERT INTO stockflow.task_logs (run_id, step, try_number, level, message, logged_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[])`,
      [
        lines.map((line) => line.runId),
        lines.map((line) => line.step),
        lines.map((line) => line.tryNumber),
        lines.map((line) => line.level),
        lines.map((line) => line.message),
        lines.map((line) => line.at.toISOString()),
      ],
    );
  }

  /** Latest try of each step for several runs at once (the runs grid), keyed by run id. */
  async listTasksOfRuns(runIds: string[]): Promise<Map<string, TaskView[]>> {
    const byRun = new Map<string, TaskView[]>(runIds.map((id) => [id, []]));
    if (runIds.length === 0) return byRun;
    const found = await this.pool.query<TaskRow & { run_id: string }>(
      `SELECT DISTINCT ON (run_id, step) * FROM stockflow.task_runs WHERE run_id = ANY($1::text[]) ORDER BY run_id, step, try_number DESC`,
      [runIds],
    );
    for (const row of found.rows) byRun.get(row.run_id)?.push(toTaskView(row));
    return byRun;
  }

  /** The try numbers each step of a run has recorded, oldest first (the log viewer's try picker). */
  async listTryNumbers(runId: string): Promise<Record<string, number[]>> {
    const found = await this.pool.query<{ step: string; tries: number[] }>('SELECT step, array_agg(try_number ORDER BY try_number) AS tries FROM stockflow.task_runs WHERE run_id = $1 GROUP BY step', [
      runId,
    ]);
    return Object.fromEntries(found.rows.map((row) => [row.step, row.tries]));
  }

  /** How many lines of a step's log (one try, or all) pass the level and text filters. */
  async countLogLines(runId: string, step: string, filter: LogFilter): Promise<number> {
    const found = await this.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM stockflow.task_logs
        WHERE run_id = $1 AND step = $2 AND ($3::int IS NULL OR try_number = $3)
          AND ($4::text[] IS NULL OR level = ANY($4::text[])) AND ($5::text IS NULL OR message ILIKE $5 ESCAPE '\\')`,
      [runId, step, filter.tryNumber ?? null, filter.levels ?? null, containsPattern(filter.contains)],
    );
    return Number(found.rows[0]?.count ?? 0);
  }

  /**
   * Log lines after a cursor (all tries unless one is named), oldest first; `levels` and `contains`
   * (case-insensitive text) filter in the database, so a search covers the whole log.
   */
  async readLog(runId: string, step: string, options: { tryNumber?: number; after?: string | null; limit?: number; tail?: number } & LogFilter): Promise<LogPage> {
    // The cursor is a task_logs id; anything else is the caller's mistake, not a database error.
    if (options.after && !/^\d{1,18}$/.test(options.after)) throw new InvalidCursorError(options.after);
    const tail = options.tail && !options.after ? Math.min(options.tail, 10_000) : null;
    const limit = tail ?? Math.min(Math.max(options.limit ?? 1000, 1), 10_000);
    const found = await this.pool.query<{ id: string; logged_at: Date; level: string; message: string; try_number: number }>(
      `SELECT * FROM (
         SELECT id, logged_at, level, message, try_number FROM stockflow.task_logs
          WHERE run_id = $1 AND step = $2 AND ($3::int IS NULL OR try_number = $3) AND id > coalesce($4::bigint, 0)
            AND ($6::text[] IS NULL OR level = ANY($6::text[])) AND ($7::text IS NULL OR message ILIKE $7 ESCAPE '\\')
          ORDER BY id ${tail ? 'DESC' : 'ASC'} LIMIT $5) page
        ORDER BY id`,
      [runId, step, options.tryNumber ?? null, options.after ?? null, limit, options.levels ?? null, containsPattern(options.contains)],
    );
    const lines: LogLine[] = found.rows.map((row) => ({ id: row.id, at: row.logged_at.toISOString(), level: row.level, message: row.message }));
    const task = await this.pool.query<{ running: boolean }>(`SELECT bool_or(status = 'running') AS running FROM stockflow.task_runs WHERE run_id = $1 AND step = $2`, [runId, step]);
    const run = await this.pool.query<{ status: RunStatus }>('SELECT status FROM stockflow.runs WHERE id = $1', [runId]);
    const runFinished = isFinished(run.rows[0]?.status ?? '');
    return {
      lines,
      cursor: lines.length > 0 ? lines[lines.length - 1]!.id : (options.after ?? null),
      complete: (tail !== null || lines.length < limit) && runFinished && !task.rows[0]?.running,
    };
  }
}
