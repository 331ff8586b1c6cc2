import type pg from 'pg';
import { z } from 'zod';

import { calendarDaySchema } from '../util/calendar-day';

const blankIsUnset = (value: unknown) => (value === '' ? undefined : value);

export const companyChartQuerySchema = z.object({
  from: z.preprocess(blankIsUnset, calendarDaySchema.optional()),
  to: z.preprocess(blankIsUnset, calendarDaySchema.optional()),
  /** At most this many points; a range with no more days than this is sent day by day. */
  points: z.coerce.number().int().min(20).max(2000).catch(400),
});
export type CompanyChartQuery = z.infer<typeof companyChartQuerySchema>;

/** One candle: a single trading day, or a bucket of consecutive trading days. */
export interface ChartPoint {
  /** First and last trading day covered (equal for a day). */
  first: string;
  last: string;
  days: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Total over the covered days. */
  volume: number;
  /** Lowest and highest daily percent change in the covered days (null when all are empty). */
  percentMin: number | null;
  percentMax: number | null;
}

export interface CompanyChart {
  company: string;
  from: string | null;
  to: string | null;
  /** Range values that were not understood, by field (they are not applied). */
  problems: Record<string, string>;
  stats: { rows: number; firstDate: string | null; lastDate: string | null; minClose: string | null; maxClose: string | null };
  points: ChartPoint[];
  /** True when several days share a point (the series was downsampled on the server). */
  downsampled: boolean;
  elapsedMs: number;
}

/** Reads the range query; a value that does not parse is reported for its field and left out. */
export function parseCompanyChartQuery(raw: Record<string, string | string[] | undefined>): { query: CompanyChartQuery; problems: Record<string, string> } {
  const flat = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]));
  const first = companyChartQuerySchema.safeParse(flat);
  if (first.success) return { query: first.data, problems: {} };
  const problems: Record<string, string> = {};
  for (const issue of first.error.issues) problems[String(issue.path[0] ?? 'query')] ??= issue.message;
  return { query: companyChartQuerySchema.parse(Object.fromEntries(Object.entries(flat).filter(([key]) => !(key in problems)))), problems };
}

interface PointRow {
  first: string;
  last: string;
  days: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  pmin: string | null;
  pmax: string | null;
}

/**
 * One company's series as candles. When the range has no more trading days than `points`, every
 * day is its own candle; otherwise the days are cut into `points` buckets of consecutive days
 * (open of the first day, high and low over the bucket, close of the last, total volume,
 * percent range), so the browser gets what it can draw and every value is one that happened.
 */
export async function loadCompanyChart(pool: pg.Pool, company: string, raw: Record<string, string | string[] | undefined>): Promise<CompanyChart | null> {
  const started = performance.now();
  const { query, problems } = parseCompanyChartQuery(raw);
  const params = [company, query.from ?? null, query.to ?? null];
  const range = 'company_name = $1 AND ($2::date IS NULL OR stock_date >= $2::date) AND ($3::date IS NULL OR stock_date <= $3::date)';
  // ntile($4) gives each day its own bucket when there are no more days than points, so the
  // series does not wait for the count: both queries run at once, on two connections.
  const [stats, series] = await Promise.all([
    pool.query<{ rows: string; first: string | null; last: string | null; min: string | null; max: string | null }>(
      `SELECT count(*) AS rows, min(stock_date)::text AS first, max(stock_date)::text AS last, min(close_value)::text AS min, max(close_value)::text AS max
         FROM public.historical_stocks_data WHERE ${range}`,
      params,
    ),
    pool.query<PointRow>(
      `SELECT min(stock_date)::text AS first, max(stock_date)::text AS last, count(*)::int AS days,
              (array_agg(open_value ORDER BY stock_date))[1]::text AS open,
              max(high_value)::text AS high, min(low_value)::text AS low,
              (array_agg(close_value ORDER BY stock_date DESC))[1]::text AS close,
              sum(volume_traded)::text AS volume,
              min(daily_percent_change)::text AS pmin, max(daily_percent_change)::text AS pmax
         FROM (SELECT *, ntile($4) OVER (ORDER BY stock_date) AS bucket FROM public.historical_stocks_data WHERE ${range}) rows
        GROUP BY bucket ORDER BY bucket`,
      [...params, query.points],
    ),
  ]);
  const summary = stats.rows[0]!;
  const rows = Number(summary.rows);
  if (rows === 0) {
    const exists = await pool.query('SELECT 1 FROM public.historical_stocks_data WHERE company_name = $1 LIMIT 1', [company]);
    if (exists.rowCount === 0) return null;
  }
  const percent = (value: string | null) => (value === null ? null : Number(value));
  return {
    company,
    from: query.from ?? null,
    to: query.to ?? null,
    problems,
    stats: { rows, firstDate: summary.first, lastDate: summary.last, minClose: summary.min, maxClose: summary.max },
    points: series.rows.map((point) => ({
      first: point.first,
      last: point.last,
      days: point.days,
      open: Number(point.open),
      high: Number(point.high),
      low: Number(point.low),
      close: Number(point.close),
      volume: Number(point.volume),
      percentMin: percent(point.pmin),
      percentMax: percent(point.pmax),
    })),
    downsampled: series.rows.length < rows,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Company names starting with a prefix, via a loose index scan (fast without a companies table). */
export async function searchCompanies(pool: pg.Pool, prefix: string, limit = 20): Promise<string[]> {
  const clean = prefix
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_&^.-]/g, '');
  const found = await pool.query<{ company_name: string }>(
    `WITH RECURSIVE names AS (
       (SELECT company_name FROM public.historical_stocks_data WHERE company_name >= $1 ORDER BY company_name LIMIT 1)
       UNION ALL
       SELECT (SELECT company_name FROM public.historical_stocks_data WHERE company_name > names.company_name ORDER BY company_name LIMIT 1)
         FROM names WHERE names.company_name IS NOT NULL AND names.company_name LIKE $2
     )
     SELECT company_name FROM names WHERE company_name LIKE $2 LIMIT $3`,
    [clean, `${clean.replace(/[_%\\]/g, '\\$&')}%`, limit],
  );
  return found.rows.map((row) => row.company_name);
}
