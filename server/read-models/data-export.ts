import type pg from 'pg';

import { csvRecord } from '../pipeline/csv';
import { spreadsheetSafe } from '../pipeline/stored-text';
import { type DataRow, filterClause, orderClause, parseDataQuery, SELECT_COLUMNS, type TableColumn, visibleColumns } from './data-page';

const FETCH_ROWS = 5000;

/** company_name is the one text column: neutralised as a formula; numbers (negative ones too) stay exact. */
function cell(row: DataRow, column: TableColumn): string {
  const value = row[column] ?? '';
  return column === 'company_name' ? spreadsheetSafe(value) : value;
}

/**
 * The data page's current filtered, sorted view as CSV (header first, hidden columns left out), read through a server-side
 * cursor so millions of rows stream without being held in memory. Errors end the stream with an
 * error, never with a silently shortened file.
 */
export async function* exportCsv(pool: pg.Pool, raw: Record<string, string | string[] | undefined>): AsyncGenerator<string> {
  // The route refuses a query with problems before streaming; here they are just left out.
  const { query } = parseDataQuery(raw);
  const params: unknown[] = [];
  const where = filterClause(query, params);
  const columns = visibleColumns(query);
  const client = await pool.connect();
  // The server ends an export whose reader stalled (idle-in-transaction timeout): that must surface
  // as this export's error at its next FETCH, not crash the process as an unhandled 'error' event.
  const onError = (): void => {};
  client.on('error', onError);
  let failed = false;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`DECLARE export_rows NO SCROLL CURSOR FOR SELECT ${SELECT_COLUMNS} FROM public.historical_stocks_data t WHERE ${where} ORDER BY ${orderClause(query)}`, params);
    yield csvRecord(columns);
    while (true) {
      const batch = await client.query<DataRow>(`FETCH ${FETCH_ROWS} FROM export_rows`);
      if (batch.rows.length === 0) break;
      yield batch.rows.map((row) => csvRecord(columns.map((column) => cell(row, column)))).join('');
    }
    await client.query('COMMIT');
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    if (failed) await client.query('ROLLBACK').catch(() => {});
    // A consumer that stopped early leaves the transaction open: drop the connection then.
    const open = await client.query('SELECT 1').then(
      () =>
        client.query('ROLLBACK').then(
          () => true,
          () => true,
        ),
      () => false,
    );
    client.removeListener('error', onError);
    client.release(!open);
  }
}
