import { z } from 'zod';

import { TABLE_COLUMNS } from '../pipeline/stock-row';
import { calendarDaySchema } from '../util/calendar-day';

/** The data page's URL query (also the CSV export's): one schema, one parser, one WHERE builder. */

export type TableColumn = (typeof TABLE_COLUMNS)[number];

const blankIsUnset = (value: unknown) => (value === '' || value === undefined ? undefined : value);
const optionalNumber = z.preprocess(blankIsUnset, z.coerce.number({ error: 'enter a number' }).finite('enter a number').optional());
// Volume is a bigint column: a bound past it would make PostgreSQL fail the query.
const optionalVolume = z.preprocess(
  blankIsUnset,
  z.coerce.number({ error: 'enter a number' }).finite('enter a number').min(0, 'volumes are never negative').max(Number.MAX_SAFE_INTEGER, 'too large').optional(),
);
const optionalDate = z.preprocess(blankIsUnset, calendarDaySchema.optional());
const optionalColumn = z.preprocess(blankIsUnset, z.enum(TABLE_COLUMNS).optional()).catch(undefined);

/** Numeric range filters: URL names and the column each bounds. */
export const RANGE_FILTERS = [
  { column: 'open_value', min: 'openMin', max: 'openMax', label: 'Open' },
  { column: 'high_value', min: 'highMin', max: 'highMax', label: 'High' },
  { column: 'low_value', min: 'lowMin', max: 'lowMax', label: 'Low' },
  { column: 'close_value', min: 'closeMin', max: 'closeMax', label: 'Close' },
  { column: 'volume_traded', min: 'volumeMin', max: 'volumeMax', label: 'Volume' },
  { column: 'daily_percent_change', min: 'pctMin', max: 'pctMax', label: '% change' },
  { column: 'value_change', min: 'changeMin', max: 'changeMax', label: 'Value change' },
] as const;

export const dataQuerySchema = z.object({
  company: z.preprocess(
    blankIsUnset,
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9_&^.,\s-]{1,400}$/, 'letters, digits and . _ & ^ - only; separate names with commas')
      .optional(),
  ),
  from: optionalDate,
  to: optionalDate,
  openMin: optionalNumber,
  openMax: optionalNumber,
  highMin: optionalNumber,
  highMax: optionalNumber,
  lowMin: optionalNumber,
  lowMax: optionalNumber,
  closeMin: optionalNumber,
  closeMax: optionalNumber,
  volumeMin: optionalVolume,
  volumeMax: optionalVolume,
  pctMin: optionalNumber,
  pctMax: optionalNumber,
  changeMin: optionalNumber,
  changeMax: optionalNumber,
  /** Only rows whose percent is empty (the day's Open was 0). */
  pctEmpty: z.preprocess(blankIsUnset, z.enum(['1']).optional()),
  /** Sorted by date: where the page starts; sorted otherwise: a "from" filter. */
  jump: optionalDate,
  sort: z.enum(TABLE_COLUMNS).catch('stock_date'),
  dir: z.enum(['asc', 'desc']).catch('desc'),
  sort2: optionalColumn,
  dir2: z.enum(['asc', 'desc']).catch('asc'),
  /** Columns left out of the table and the export, comma-separated. */
  hide: z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean)
        : value === undefined
          ? []
          : value,
    z.array(z.enum(TABLE_COLUMNS, { error: 'unknown column' })).max(TABLE_COLUMNS.length - 1, 'keep at least one column'),
  ),
  size: z.coerce
    .number()
    .pipe(z.union([z.literal(50), z.literal(100), z.literal(500)]))
    .catch(50),
  after: z.string().max(2000).optional(),
  before: z.string().max(2000).optional(),
  count: z.enum(['exact']).optional(),
});
export type DataQuery = z.infer<typeof dataQuerySchema>;

/**
 * Reads the data page's query: a value that does not parse is left out of the filters and
 * reported for its field, so the page shows the problem beside the input instead of failing.
 */
export function parseDataQuery(raw: Record<string, string | string[] | undefined>): { query: DataQuery; problems: Record<string, string> } {
  // A repeated parameter (?a=1&a=2) counts once (its first value), except hide: one checkbox a column.
  const flat = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, Array.isArray(value) ? (key === 'hide' ? value.join(',') : value[0]) : value]));
  const first = dataQuerySchema.safeParse(flat);
  if (first.success) return { query: first.data, problems: {} };
  const problems: Record<string, string> = {};
  for (const issue of first.error.issues) problems[String(issue.path[0] ?? 'query')] ??= issue.message;
  const rest = Object.fromEntries(Object.entries(flat).filter(([key]) => !(key in problems)));
  return { query: dataQuerySchema.parse(rest), problems };
}

/** The query as URL parameters (defaults and paging left out), for links and the export. */
export function queryParams(query: DataQuery): Record<string, string> {
  const { after: _after, before: _before, count: _count, hide, ...rest } = query;
  const entries = Object.entries({ ...rest, hide: hide.join(',') }).filter(([, value]) => value !== undefined && value !== '');
  return Object.fromEntries(entries.map(([key, value]) => [key, String(value)]));
}

/** Columns shown (table and export), in table order. */
export function visibleColumns(query: DataQuery): TableColumn[] {
  return TABLE_COLUMNS.filter((column) => !query.hide.includes(column));
}

/** Sorted by date, "jump" positions the page; otherwise it filters from that day. */
export const jumpIsPosition = (query: DataQuery): boolean => query.sort === 'stock_date';

const CAST: Record<TableColumn, string> = {
  stock_date: 'date',
  open_value: 'numeric',
  high_value: 'numeric',
  low_value: 'numeric',
  close_value: 'numeric',
  volume_traded: 'bigint',
  daily_percent_change: 'numeric',
  value_change: 'numeric',
  company_name: 'text',
};
export const castOf = (column: TableColumn): string => CAST[column];

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
  if (query.jump && !jumpIsPosition(query)) add('stock_date >= ?::date', query.jump);
  for (const range of RANGE_FILTERS) {
    const min = query[range.min];
    const max = query[range.max];
    const volume = range.column === 'volume_traded';
    // Whole volumes only: ceil/floor keep "≥ 10.5" meaning "≥ 11" on a bigint column.
    if (min !== undefined) add(`${range.column} >= ?::${CAST[range.column]}`, volume ? Math.ceil(min) : min);
    if (max !== undefined) add(`${range.column} <= ?::${CAST[range.column]}`, volume ? Math.floor(max) : max);
  }
  if (query.pctEmpty) conditions.push('daily_percent_change IS NULL');
  return conditions.length > 0 ? conditions.join(' AND ') : 'true';
}
