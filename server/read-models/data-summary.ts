import type pg from 'pg';

import { withClient } from '../db/checked-out';
import type { Logger } from '../ports/logger';

export interface DataSummary {
  rows: number;
  companies: number;
  firstDate: string | null;
  lastDate: string | null;
  meanOpen: string | null;
  meanClose: string | null;
  sumValueChange: string | null;
  /** Companies in the table whose rows are synthetic demo data (the next load of real data removes them). */
  demoCompanies: number;
}

interface SummaryRow {
  rows: string;
  companies: string;
  first_date: string | null;
  last_date: string | null;
  mean_open: string | null;
  mean_close: string | null;
  sum_value_change: string | null;
  demo_companies: string;
}

const FIGURES = `SELECT count(*) AS rows, count(DISTINCT company_name) AS companies, min(stock_date)::text AS first_date, max(stock_date)::text AS last_date,
       round(avg(open_value), 4)::text AS mean_open, round(avg(close_value), 4)::text AS mean_close, sum(value_change)::text AS sum_value_change,
       (SELECT count(*) FROM stockflow.demo_companies d WHERE EXISTS (SELECT 1 FROM public.historical_stocks_data h WHERE h.company_name = d.company_name)) AS demo_companies
  FROM public.historical_stocks_data`;

/**
 * One computation per pool and table version: viewers that found the kept figures stale for the
 * same version share it, also those whose look came back after it ended (their look was taken
 * before its figures were kept).
 */
const computing = new WeakMap<pg.Pool, { current: string; figures: Promise<DataSummary> }>();

/**
 * The overview's figures over the whole table. They take a full scan (1.2 s on 2 M rows), so they
 * are kept with the table version they were computed for (migration 022; every load that changes
 * the table bumps the version in its transaction) and computed again only when it moved on.
 */
export async function loadDataSummary(pool: pg.Pool): Promise<DataSummary> {
  const cached = await pool.query<SummaryRow & { version: string | null; current: string }>(
    `SELECT s.version::text AS version, v.version::text AS current, s.rows, s.companies, s.first_date, s.last_date, s.mean_open, s.mean_close, s.sum_value_change, s.demo_companies
       FROM stockflow.table_version v LEFT JOIN stockflow.data_summary s ON true`,
  );
  const row = cached.rows[0];
  if (row && row.version !== null && row.version === row.current) return summaryOf(row);
  const current = row?.current ?? '';
  const shared = computing.get(pool);
  if (shared?.current === current) return shared.figures;
  const figures = computeAndKeep(pool);
  const entry = { current, figures };
  computing.set(pool, entry);
  // A failed computation is not shared with later viewers: they try again.
  figures.catch(() => {
    if (computing.get(pool) === entry) computing.delete(pool);
  });
  return figures;
}

/**
 * Once a run is over (the embedded runner, `stockflow run`, `stockflow step notify`): the figures
 * for the table it left, so the panel's first viewer does not wait for the scan. Never fails.
 */
export async function refreshDataSummary(pool: pg.Pool, log: Logger): Promise<void> {
  await loadDataSummary(pool).catch((error: unknown) => log.log('warn', `overview figures: ${error instanceof Error ? error.message : String(error)}`));
}

/** The figures and the version they belong to, read in one snapshot, then kept unless a newer version's are. */
async function computeAndKeep(pool: pg.Pool): Promise<DataSummary> {
  const { version, figures } = await withClient(pool, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const current = (await client.query<{ version: string }>('SELECT version::text AS version FROM stockflow.table_version')).rows[0]!.version;
    const row = (await client.query<SummaryRow>(FIGURES)).rows[0]!;
    await client.query('COMMIT');
    return { version: current, figures: row };
  });
  await pool.query(
    `INSERT INTO stockflow.data_summary (one, version, rows, companies, first_date, last_date, mean_open, mean_close, sum_value_change, demo_companies, computed_at)
     VALUES (true, $1, $2, $3, $4, $5, $6, $7, $8, $9, now())
     ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version, rows = EXCLUDED.rows, companies = EXCLUDED.companies, first_date = EXCLUDED.first_date,
       last_date = EXCLUDED.last_date, mean_open = EXCLUDED.mean_open, mean_close = EXCLUDED.mean_close, sum_value_change = EXCLUDED.sum_value_change,
       demo_companies = EXCLUDED.demo_companies, computed_at = EXCLUDED.computed_at
     WHERE stockflow.data_summary.version <= EXCLUDED.version`,
    [version, figures.rows, figures.companies, figures.first_date, figures.last_date, figures.mean_open, figures.mean_close, figures.sum_value_change, figures.demo_companies],
  );
  return summaryOf(figures);
}

function summaryOf(row: SummaryRow): DataSummary {
  return {
    rows: Number(row.rows),
    companies: Number(row.companies),
    firstDate: row.first_date,
    lastDate: row.last_date,
    meanOpen: row.mean_open,
    meanClose: row.mean_close,
    sumValueChange: row.sum_value_change,
    demoCompanies: Number(row.demo_companies),
  };
}
