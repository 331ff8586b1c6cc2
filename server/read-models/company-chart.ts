import type pg from 'pg';
import { calendarDaySchema } from '../util/calendar-day';
import { z } from 'zod';

export const companyChartQuerySchema = z.object({
  from: calendarDaySchema.optional().catch(undefined),
  to: calendarDaySchema.optional().catch(undefined),
  points: z.coerce.number().int().min(20).max(2000).catch(600),
});

export interface ChartPoint {
  date: string;
  close: number;
  low: number;
  high: number;
  volume: number;
  percent: number | null;
}

export interface CompanyChart {
  company: string;
  from: string | null;
  to: string | null;
  stats: { rows: number; firstDate: string | null; lastDate: string | null; minClose: string | null; maxClose: string | null };
  points: ChartPoint[];
  /** True when several days share a point (the series was downsampled on the server). */
  downsampled: boolean;
  elapsedMs: number;
}

/** One company's series, cut into at most `points` buckets so the browser gets what it can draw. */
export async function loadCompanyChart(pool: pg.Pool, company: string, raw: Record<string, string | undefined>): Promise<CompanyChart | null> {
  const started = performance.now();
  const query = companyChartQuerySchema.parse(raw);
  const params = [company, query.from ?? null, query.to ?? null];
  const range = 'company_name = $1 AND ($2::date IS NULL OR stock_date >= $2::date) AND ($3::date IS NULL OR stock_date <= $3::date)';
  const stats = await pool.query<{ rows: string; first: string | null; last: string | null; min: string | null; max: string | null }>(
    `SELECT count(*) AS rows, min(stock_date)::text AS first, max(stock_date)::text AS last, min(close_value)::text AS min, max(close_value)::text AS max
       FROM public.historical_stocks_data WHERE ${range}`,
    params,
  );
  const summary = stats.rows[0]!;
  const rows = Number(summary.rows);
  if (rows === 0) {
    const exists = await pool.query('SELECT 1 FROM public.historical_stocks_data WHERE company_name = $1 LIMIT 1', [company]);
    if (exists.rowCount === 0) return null;
  }
  const buckets = Math.min(query.points, Math.max(rows, 1));
  const series = await pool.query<{ date: string; close: string; low: string; high: string; volume: string; percent: string | null }>(
    `SELECT min(stock_date)::text AS date,
            (array_agg(close_value ORDER BY stock_date DESC))[1]::text AS close,
            min(low_value)::text AS low, max(high_value)::text AS high,
            sum(volume_traded)::text AS volume, avg(daily_percent_change)::text AS percent
       FROM (SELECT *, ntile($4) OVER (ORDER BY stock_date) AS bucket FROM public.historical_stocks_data WHERE ${range}) rows
      GROUP BY bucket ORDER BY bucket`,
    [...params, buckets],
  );
  return {
    company,
    from: query.from ?? null,
    to: query.to ?? null,
    stats: { rows, firstDate: summary.first, lastDate: summary.last, minClose: summary.min, maxClose: summary.max },
    points: series.rows.map((point) => ({
      date: point.date,
      close: Number(point.close),
      low: Number(point.low),
      high: Number(point.high),
      volume: Number(point.volume),
      percent: point.percent === null ? null : Number(Number(point.percent).toFixed(4)),
    })),
    downsampled: rows > buckets,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Company names starting with a prefix, via a loose index scan (fast without a companies table). */
export async function searchCompanies(pool: pg.Pool, prefix: string, limit = 20): Promise<string[]> {
  const clean = prefix.trim().toLowerCase().replace(/[^a-z0-9_&^.-]/g, '');
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
