import type pg from 'pg';

import { cursorClause, decodeCursor, encodeCursor, jumpClause, orderClause, sortKeys } from './data-order';
import { type DataQuery, filterClause, jumpIsPosition, parseDataQuery, type TableColumn, visibleColumns } from './data-query';

/** The data page: historical_stocks_data filtered, sorted and keyset-paged on the server. */

export { orderClause } from './data-order';
export { type DataQuery, dataQuerySchema, filterClause, parseDataQuery, queryParams, RANGE_FILTERS, type TableColumn, visibleColumns } from './data-query';

export interface DataRow {
  stock_date: string;
  open_value: string;
  high_value: string;
  low_value: string;
  close_value: string;
  volume_traded: string;
  daily_percent_change: string | null;
  value_change: string | null;
  company_name: string;
}

export interface DataPage {
  query: DataQuery;
  /** Query values that were not understood, by field (they are not applied). */
  problems: Record<string, string>;
  /** The columns to show, in order (the query's hidden ones left out). */
  columns: TableColumn[];
  rows: DataRow[];
  total: { value: number; isEstimate: boolean };
  /** Cursors for the neighbouring pages (null at either end). */
  nextCursor: string | null;
  prevCursor: string | null;
  /** What the date input does under the current sort. */
  jumpMode: 'position' | 'filter';
  elapsedMs: number;
}

export const SELECT_COLUMNS = `t.stock_date::text, t.open_value::text, t.high_value::text, t.low_value::text, t.close_value::text,
  t.volume_traded::text, t.daily_percent_change::text, t.value_change::text, t.company_name`;

export async function loadDataPage(pool: pg.Pool, raw: Record<string, string | string[] | undefined>): Promise<DataPage> {
  const started = performance.now();
  const { query, problems } = parseDataQuery(raw);
  const keys = sortKeys(query);
  const params: unknown[] = [];
  const filters = filterClause(query, params);
  const where = [filters];
  const after = decodeCursor(query.after, keys);
  // Backwards only from a cursor that decodes: an unusable one means the first page, not the last.
  const before = after ? null : decodeCursor(query.before, keys);
  const backwards = before !== null;
  const cursor = after ?? before;
  if (cursor) where.push(cursorClause(keys, cursor, backwards, params));
  const jump = cursor ? null : jumpClause(query, params);
  if (jump) where.push(jump);
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
  const atStart = jump ? !(await anyBeforeJump(pool, query)) : !cursor || (backwards && !hasMore);
  const atEnd = !backwards && !hasMore;
  const total = await countRows(pool, query);
  const cursorOf = (row: DataRow) => encodeCursor(keys.map((key) => row[key.column]));
  return {
    query,
    problems,
    columns: visibleColumns(query),
    rows,
    total,
    nextCursor: last && !atEnd ? cursorOf(last) : null,
    prevCursor: first && !atStart ? cursorOf(first) : null,
    jumpMode: jumpIsPosition(query) ? 'position' : 'filter',
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Whether a jumped-to page has rows before it (so "Previous" leads somewhere). */
async function anyBeforeJump(pool: pg.Pool, query: DataQuery): Promise<boolean> {
  const params: unknown[] = [];
  const where = filterClause(query, params);
  params.push(query.jump);
  const found = await pool.query(`SELECT 1 FROM public.historical_stocks_data WHERE ${where} AND stock_date ${query.dir === 'asc' ? '<' : '>'} $${params.length}::date LIMIT 1`, params);
  return (found.rowCount ?? 0) > 0;
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
