import type pg from 'pg';
import { z } from 'zod';
import { TABLE_COLUMNS } from '../pipeline/stock-row';
import { calendarDaySchema } from '../util/calendar-day';

/** The data page: historical_stocks_data filtered, sorted and keyset-paged on the server. */

const optionalNumber = z.preprocess((value) => (value === '' || value === undefined ? undefined : value), z.coerce.number().finite().optional());
const optionalDate = z.preprocess(
  (value) => (value === '' ? undefined : value),
  calendarDaySchema.optional(),
);

export const dataQuerySchema = z.object({
  company: z.preprocess((value) => (value === '' ? undefined : value), z.string().trim().toLowerCase().regex(/^[a-z0-9_&^.,\s-]{1,400}$/).optional()),
  from: optionalDate,
  to: optionalDate,
  closeMin: optionalNumber,
  closeMax: optionalNumber,
  volumeMin: optionalNumber,
  pctMin: optionalNumber,
  pctMax: optionalNumber,
  sort: z.enum(TABLE_COLUMNS).catch('stock_date'),
  dir: z.enum(['asc', 'desc']).catch('desc'),
  size: z.coerce.number().pipe(z.union([z.literal(50), z.literal(100), z.literal(500)])).catch(50),
  after: z.string().max(500).optional(),
  before: z.string().max(500).optional(),
  count: z.enum(['exact']).optional(),
});
export type DataQuery = z.infer<typeof dataQuerySchema>;

/**
 * Reads the data page's query: a value that does not parse is left out of the filters and
 * reported for its field, so the page shows the problem beside the input instead of failing.
 */
export function parseDataQuery(raw: Record<string, string | undefined>): { query: DataQuery; problems: Record<string, string> } {
  const first = dataQuerySchema.safeParse(raw);
  if (first.success) return { query: first.data, problems: {} };
  const problems: Record<string, string> = {};
  for (const issue of first.error.issues) problems[String(issue.path[0] ?? 'query')] ??= issue.message;
  const rest = Object.fromEntries(Object.entries(raw).filter(([key]) => !(key in problems)));
  return { query: dataQuerySchema.parse(rest), problems };
}

export interface DataRow {
  stock_date: string;
  open_value: string;
  high_value: string;
  low_value: string;
  close_value: string;
  volume_traded: string;
  daily_percent_change: string | null;
  value_change: string;
  company_name: string;
}

export interface DataPage {
  query: DataQuery;
  /** Query values that were not understood, by field (they are not applied). */
  problems: Record<string, string>;
  rows: DataRow[];
  total: { value: number; isEstimate: boolean };
  /** Cursors for the neighbouring pages (null at either end). */
  nextCursor: string | null;
  prevCursor: string | null;
  elapsedMs: number;
}

/** Builds the WHERE clause of the filters (parameterized), shared by the page, counts and export. */
export function filterClause(query: DataQuery, params: unknown[]): string {
  const conditions: string[] = [];
  const add = (sql: string, value: unknown): void => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (query.company) {
    const names = query.company.split(/[,\s]+/).filter(Boolean);
    add('company_name = ANY(?::text[])', names);
  }
  if (query.from) add('stock_date >= ?::date', query.from);
  if (query.to) add('stock_date <= ?::date', query.to);
  if (query.closeMin !== undefined) add('close_value >= ?::numeric', query.closeMin);
  if (query.closeMax !== undefined) add('close_value <= ?::numeric', query.closeMax);
  if (query.volumeMin !== undefined) add('volume_traded >= ?::bigint', Math.trunc(query.volumeMin));
  if (query.pctMin !== undefined) add('daily_percent_change >= ?::numeric', query.pctMin);
  if (query.pctMax !== undefined) add('daily_percent_change <= ?::numeric', query.pctMax);
  return conditions.length > 0 ? conditions.join(' AND ') : 'true';
}

export function orderClause(query: DataQuery, reverse = false): string {
  const ascending = (query.dir === 'asc') !== reverse;
  const direction = ascending ? 'ASC' : 'DESC';
  const nulls = ascending ? 'NULLS FIRST' : 'NULLS LAST';
  const keys = query.sort === 'company_name' ? ['company_name', 'stock_date'] : query.sort === 'stock_date' ? ['stock_date', 'company_name'] : [query.sort, 'company_name', 'stock_date'];
  // Qualified: a bare name in ORDER BY would mean the SELECT list's text-cast column of that name.
  return keys.map((key, index) => `t.${key} ${direction}${index === 0 && query.sort === 'daily_percent_change' ? ` ${nulls}` : ''}`).join(', ');
}

interface Cursor {
  value: string | null;
  company: string;
  date: string;
}

const encodeCursor = (row: DataRow, sort: DataQuery['sort']): string =>
  Buffer.from(JSON.stringify({ value: row[sort], company: row.company_name, date: row.stock_date } satisfies Cursor)).toString('base64url');

function decodeCursor(text: string | undefined): Cursor | null {
  if (!text) return null;
  try {
    return z.object({ value: z.string().nullable(), company: z.string(), date: z.string() }).parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
}

const CAST: Record<(typeof TABLE_COLUMNS)[number], string> = {
  stock_date: 'date', open_value: 'numeric', high_value: 'numeric', low_value: 'numeric', close_value: 'numeric',
  volume_traded: 'bigint', daily_percent_change: 'numeric', value_change: 'numeric', company_name: 'text',
};

/** Rows strictly after (or before) the cursor in the page's order, as a row comparison. */
function cursorClause(query: DataQuery, cursor: Cursor, backwards: boolean, params: unknown[]): string {
  const ascending = (query.dir === 'asc') !== backwards;
  const op = ascending ? '>' : '<';
  if (query.sort === 'company_name' || query.sort === 'stock_date') {
    const [first, second] = query.sort === 'company_name' ? [cursor.company, cursor.date] : [cursor.date, cursor.company];
    const [firstColumn, secondColumn] = query.sort === 'company_name' ? ['company_name', 'stock_date'] : ['stock_date', 'company_name'];
    params.push(first, second);
    return `(${firstColumn}, ${secondColumn}) ${op} ($${params.length - 1}::${CAST[firstColumn as 'stock_date']}, $${params.length}::${CAST[secondColumn as 'stock_date']})`;
  }
  if (cursor.value === null) {
    // Only daily_percent_change is nullable; nulls sort first ascending, last descending.
    params.push(cursor.company, cursor.date);
    const tie = `(company_name, stock_date) ${op} ($${params.length - 1}::text, $${params.length}::date)`;
    return ascending ? `(${query.sort} IS NOT NULL OR (${query.sort} IS NULL AND ${tie}))` : `(${query.sort} IS NULL AND ${tie})`;
  }
  params.push(cursor.value, cursor.company, cursor.date);
  const comparison = `(${query.sort}, company_name, stock_date) ${op} ($${params.length - 2}::${CAST[query.sort]}, $${params.length - 1}::text, $${params.length}::date)`;
  if (query.sort !== 'daily_percent_change') return comparison;
  return ascending ? comparison : `(${comparison} OR ${query.sort} IS NULL)`;
}

export const SELECT_COLUMNS = `t.stock_date::text, t.open_value::text, t.high_value::text, t.low_value::text, t.close_value::text,
  t.volume_traded::text, t.daily_percent_change::text, t.value_change::text, t.company_name`;

export async function loadDataPage(pool: pg.Pool, raw: Record<string, string | undefined>): Promise<DataPage> {
  const started = performance.now();
  const { query, problems } = parseDataQuery(raw);
  const params: unknown[] = [];
  const where = [filterClause(query, params)];
  const backwards = Boolean(query.before) && !query.after;
  const cursor = decodeCursor(backwards ? query.before : query.after);
  if (cursor) where.push(cursorClause(query, cursor, backwards, params));
  params.push(query.size + 1);
  const result = await pool.query<DataRow>(
    `SELECT ${SELECT_COLUMNS} FROM public.historical_stocks_data t WHERE ${where.join(' AND ')} ORDER BY ${orderClause(query, backwards)} LIMIT $${params.length}`,
    params,
  );
  const hasMore = result.rows.length > query.size;
  let rows = result.rows.slice(0, query.size);
  if (backwards) rows = rows.reverse();
  const first = rows[0];
  const last = rows[rows.length - 1];
  const atStart = !cursor || (backwards && !hasMore);
  const atEnd = !backwards && !hasMore;
  const total = await countRows(pool, query);
  return {
    query,
    problems,
    rows,
    total,
    nextCursor: last && !atEnd ? encodeCursor(last, query.sort) : null,
    prevCursor: first && !atStart ? encodeCursor(first, query.sort) : null,
    elapsedMs: Math.round(performance.now() - started),
  };
}

function isUnfiltered(query: DataQuery): boolean {
  return filterClause(query, []) === 'true';
}

/** Unfiltered: the planner's estimate (instant); filtered: exact only when asked, else capped. */
async function countRows(pool: pg.Pool, query: DataQuery): Promise<{ value: number; isEstimate: boolean }> {
  if (isUnfiltered(query) && query.count !== 'exact') {
    const estimate = await pool.query<{ n: string }>(`SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = 'public.historical_stocks_data'::regclass`);
    const value = Number(estimate.rows[0]?.n ?? 0);
    if (value > 0) return { value, isEstimate: true };
  }
  const params: unknown[] = [];
  const where = filterClause(query, params);
  if (query.count === 'exact') {
    const exact = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM public.historical_stocks_data WHERE ${where}`, params);
    return { value: Number(exact.rows[0]!.n), isEstimate: false };
  }
  const capped = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM public.historical_stocks_data WHERE ${where} LIMIT 10001) t`, params);
  const value = Number(capped.rows[0]!.n);
  return { value: Math.min(value, 10000), isEstimate: value > 10000 };
}
