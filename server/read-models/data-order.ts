import { z } from 'zod';

import { calendarDaySchema } from '../util/calendar-day';
import { castOf, type DataQuery, jumpIsPosition, type TableColumn } from './data-query';

/**
 * The data page's order and keyset cursor. The order is the primary sort, the secondary sort,
 * then (company_name, stock_date) in the primary direction, so every row has one place.
 * Empty values (percent, value change) count as the lowest: first ascending, last descending,
 * the same rule for both sorts, in SQL (NULLS FIRST/LAST) and in the cursor conditions.
 */

export interface SortKey {
  column: TableColumn;
  ascending: boolean;
}

/** Columns that can hold NULL (value_change is NOT NULL in our schema but not in a converted seed table). */
export const NULLABLE = new Set<TableColumn>(['daily_percent_change', 'value_change']);

export function sortKeys(query: DataQuery): SortKey[] {
  const primaryAscending = query.dir === 'asc';
  const keys: SortKey[] = [{ column: query.sort, ascending: primaryAscending }];
  if (query.sort2 && query.sort2 !== query.sort) keys.push({ column: query.sort2, ascending: query.dir2 === 'asc' });
  for (const column of ['company_name', 'stock_date'] as const) {
    if (!keys.some((key) => key.column === column)) keys.push({ column, ascending: primaryAscending });
  }
  return keys;
}

export function orderClause(query: DataQuery, reverse = false): string {
  return sortKeys(query)
    .map(({ column, ascending }) => {
      const up = ascending !== reverse;
      // Qualified: a bare name in ORDER BY would mean the SELECT list's text-cast column of that name.
      return `t.${column} ${up ? 'ASC' : 'DESC'}${NULLABLE.has(column) ? (up ? ' NULLS FIRST' : ' NULLS LAST') : ''}`;
    })
    .join(', ');
}

/** The sort keys' values of one row, as text (null for an empty value). */
export type Cursor = Array<string | null>;

export const encodeCursor = (values: Cursor): string => Buffer.from(JSON.stringify(values)).toString('base64url');

/** Whether a cursor value is one PostgreSQL will accept for the column (an edited cursor must not cause a 500). */
function fitsColumn(value: string, column: TableColumn): boolean {
  const cast = castOf(column);
  if (cast === 'date') return calendarDaySchema.safeParse(value).success;
  if (cast === 'bigint') return /^-?\d{1,18}$/.test(value);
  if (cast === 'numeric') return /^-?\d{1,40}(\.\d{1,40})?$/.test(value);
  return true;
}

/** A cursor that does not decode, or was made for another order, is ignored (first page). */
export function decodeCursor(text: string | undefined, keys: SortKey[]): Cursor | null {
  if (!text) return null;
  try {
    const values = z
      .array(z.string().max(200).nullable())
      .length(keys.length)
      .parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    const fits = keys.every((key, index) => (values[index] === null ? NULLABLE.has(key.column) : fitsColumn(values[index]!, key.column)));
    return fits ? values : null;
  } catch {
    return null;
  }
}

/**
 * Rows strictly after (or, backwards, before) the cursor in the page's order: for each key, the
 * earlier keys equal and this one past the cursor's value. A leading "primary ≥ value" bound
 * repeats the first step so PostgreSQL can start the index scan at the cursor.
 */
export function cursorClause(keys: SortKey[], cursor: Cursor, backwards: boolean, params: unknown[]): string {
  const param = (value: string, column: TableColumn): string => {
    params.push(value);
    return `$${params.length}::${castOf(column)}`;
  };
  const equal = (key: SortKey, value: string | null): string => (value === null ? `${key.column} IS NULL` : `${key.column} = ${param(value, key.column)}`);
  const past = (key: SortKey, value: string | null): string => {
    const forward = key.ascending !== backwards;
    const nullable = NULLABLE.has(key.column);
    // Empty values are the lowest: past an empty value going up is any value; going down, nothing.
    if (value === null) return forward ? `${key.column} IS NOT NULL` : 'false';
    const comparison = `${key.column} ${forward ? '>' : '<'} ${param(value, key.column)}`;
    return !forward && nullable ? `(${comparison} OR ${key.column} IS NULL)` : comparison;
  };
  const alternatives = keys.map((key, index) => [...keys.slice(0, index).map((earlier, at) => equal(earlier, cursor[at]!)), past(key, cursor[index]!)].join(' AND '));
  const primary = keys[0]!;
  const first = cursor[0]!;
  const forward = primary.ascending !== backwards;
  const bound =
    first === null
      ? forward
        ? 'true'
        : `${primary.column} IS NULL`
      : forward
        ? `${primary.column} >= ${param(first, primary.column)}`
        : NULLABLE.has(primary.column)
          ? `(${primary.column} <= ${param(first, primary.column)} OR ${primary.column} IS NULL)`
          : `${primary.column} <= ${param(first, primary.column)}`;
  return `(${bound} AND ((${alternatives.join(') OR (')})))`;
}

/** Sorted by date and asked to jump: the page starts at that day in the current direction. */
export function jumpClause(query: DataQuery, params: unknown[]): string | null {
  if (!query.jump || !jumpIsPosition(query)) return null;
  params.push(query.jump);
  return `stock_date ${query.dir === 'asc' ? '>=' : '<='} $${params.length}::date`;
}
