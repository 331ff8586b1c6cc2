import type pg from 'pg';
import type { HostState } from '../ports/host';
import type { RunView } from '../ports/orchestrator';
import type { Services } from '../services';

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

export interface Overview {
  host: HostState;
  active: RunView[];
  recent: RunView[];
  lastSuccess: RunView | null;
  lastRejects: { runId: string; rejected: number; first: Array<{ file: string; line: number; reason: string }> } | null;
  data: DataSummary;
}

async function dataSummary(pool: pg.Pool): Promise<DataSummary> {
  const result = await pool.query<{ rows: string; companies: string; first: string | null; last: string | null; open: string | null; close: string | null; change: string | null; demo: string }>(
    `SELECT count(*) AS rows, count(DISTINCT company_name) AS companies, min(stock_date)::text AS first, max(stock_date)::text AS last,
            round(avg(open_value), 4)::text AS open, round(avg(close_value), 4)::text AS close, sum(value_change)::text AS change,
            (SELECT count(*) FROM stockflow.demo_companies d WHERE EXISTS (SELECT 1 FROM public.historical_stocks_data h WHERE h.company_name = d.company_name)) AS demo
       FROM public.historical_stocks_data`,
  );
  const row = result.rows[0]!;
  return {
    rows: Number(row.rows),
    companies: Number(row.companies),
    firstDate: row.first,
    lastDate: row.last,
    meanOpen: row.open,
    meanClose: row.close,
    sumValueChange: row.change,
    demoCompanies: Number(row.demo),
  };
}

/** Everything the overview screen shows, in one read. */
export async function loadOverview(services: Services): Promise<Overview> {
  const [host, recentPage, running, queued, data] = await Promise.all([
    services.host.describe(),
    services.orchestrator.listRuns({ limit: 8 }),
    services.orchestrator.listRuns({ limit: 5, status: 'running' }),
    services.orchestrator.listRuns({ limit: 5, status: 'queued' }),
    dataSummary(services.pool),
  ]);
  const lastSuccess = (await services.orchestrator.listRuns({ limit: 1, status: 'success' })).runs[0] ?? null;
  const lastFinished = recentPage.runs.find((run) => run.status === 'success' || run.status === 'failed');
  let lastRejects: Overview['lastRejects'] = null;
  if (lastFinished) {
    const summary = lastFinished.summary as { rows?: { rejected?: number }; firstRejects?: Array<{ file: string; line: number; reason: string }> } | null;
    lastRejects = { runId: lastFinished.id, rejected: summary?.rows?.rejected ?? 0, first: (summary?.firstRejects ?? []).slice(0, 5) };
  }
  return { host, active: [...running.runs, ...queued.runs], recent: recentPage.runs, lastSuccess, lastRejects, data };
}
