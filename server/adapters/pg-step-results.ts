import type pg from 'pg';

import type { StepRecord, StepResultStore } from '../ports/step-results';

interface StepRow {
  run_id: string;
  step: string;
  status: StepRecord['status'];
  started_at: Date;
  finished_at: Date;
  result: unknown;
  error: string | null;
}

function toRecord(row: StepRow): StepRecord {
  return {
    runId: row.run_id,
    step: row.step,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at.toISOString(),
    result: row.result,
    error: row.error,
  };
}

/** Step results in stockflow.step_results; a step run again overwrites its earlier record. */
export class PgStepResults implements StepResultStore {
  constructor(private readonly pool: pg.Pool) {}

  async save(record: StepRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO stockflow.step_results (run_id, step, status, started_at, finished_at, result, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id, step) DO UPDATE SET status = EXCLUDED.status, started_at = EXCLUDED.started_at,
         finished_at = EXCLUDED.finished_at, result = EXCLUDED.result, error = EXCLUDED.error`,
      [record.runId, record.step, record.status, record.startedAt, record.finishedAt, JSON.stringify(record.result), record.error],
    );
  }

  async get(runId: string, step: string): Promise<StepRecord | null> {
    const found = await this.pool.query<StepRow>('SELECT * FROM stockflow.step_results WHERE run_id = $1 AND step = $2', [runId, step]);
    return found.rows[0] ? toRecord(found.rows[0]) : null;
  }

  async list(runId: string): Promise<StepRecord[]> {
    const found = await this.pool.query<StepRow>('SELECT * FROM stockflow.step_results WHERE run_id = $1 ORDER BY started_at', [runId]);
    return found.rows.map(toRecord);
  }
}
