import type pg from 'pg';

import { OutboxNotifier } from '../../server/adapters/outbox-notifier';
import { PgStepResults } from '../../server/adapters/pg-step-results';
import { PgStockTable } from '../../server/adapters/pg-stock-table';
import type { PipelineContext } from '../../server/pipeline/context';
import type { LogLevel } from '../../server/ports/logger';
import type { ObjectStore } from '../../server/ports/object-store';

export interface CapturedLog {
  level: LogLevel;
  message: string;
}

/**
 * A pipeline context wired to the real PostgreSQL adapters, with logs captured for assertions.
 * It reads every file on every run (`full`), as these tests run batches again to test the
 * reading and loading; skipping unchanged files is tested in unchanged-files.test.ts.
 */
export function pipelineContext(pool: pg.Pool, source: ObjectStore, runId: string, logs: CapturedLog[] = []): PipelineContext {
  return {
    runId,
    source,
    stocks: new PgStockTable(pool),
    results: new PgStepResults(pool),
    notifier: new OutboxNotifier(pool),
    identity: { cohort: 'C9', firstName: 'Test', surname: 'Runner' },
    concurrency: 4,
    full: true,
    log: { log: (level, message) => logs.push({ level, message }) },
  };
}

/** A digest of the whole table, to prove a failed load changed nothing. */
export async function tableDigest(pool: pg.Pool): Promise<{ rows: number; digest: string }> {
  const result = await pool.query<{ rows: string; digest: string | null }>(
    `SELECT count(*) AS rows, md5(string_agg(t::text, '|' ORDER BY company_name, stock_date)) AS digest
       FROM historical_stocks_data t`,
  );
  return { rows: Number(result.rows[0]!.rows), digest: result.rows[0]!.digest ?? '' };
}
