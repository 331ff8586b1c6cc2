import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

import { csvRecord } from '../pipeline/csv';
import { filterClause, orderClause, parseDataQuery, type TableColumn, visibleColumns } from './data-page';

/** Chunks handed to the reader: big enough that per-chunk costs (HTTP framing, awaits) vanish. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Each column as the export writes it: PostgreSQL's own text for numbers and dates (what the data
 * page shows), and company_name, the one text column, neutralised as a spreadsheet formula
 * (`spreadsheetSafe`'s rule: a leading = + - @ tab or CR gets a '), in SQL so COPY writes it.
 */
function selectOf(column: TableColumn): string {
  if (column !== 'company_name') return `t.${column}`;
  return `CASE WHEN left(t.company_name, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || t.company_name ELSE t.company_name END AS company_name`;
}

/**
 * Puts the filter values into the SQL as quoted literals: COPY takes no bind parameters. Every value
 * is already validated by the query schema (dates, finite numbers, company names) and is quoted
 * anyway with the driver's escapeLiteral; each placeholder is replaced once, left to right, so a
 * value that looks like a placeholder stays text. Only the kinds filterClause produces are accepted.
 */
export function inlineParameters(sql: string, params: readonly unknown[], escapeLiteral: (text: string) => string): string {
  const literal = (value: unknown): string => {
    if (typeof value === 'string') return escapeLiteral(value);
    if (typeof value === 'number' && Number.isFinite(value)) return escapeLiteral(String(value));
    if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(', ')}]`;
    throw new Error(`cannot inline a ${typeof value} into the export query`);
  };
  return sql.replace(/\$(\d+)/g, (_, index: string) => {
    const at = Number(index) - 1;
    if (at < 0 || at >= params.length) throw new Error(`the export query has no parameter $${index}`);
    return literal(params[at]);
  });
}

/**
 * The data page's current filtered, sorted view as CSV (header first, hidden columns left out),
 * written by PostgreSQL itself (`COPY (SELECT ...) TO STDOUT`) and streamed as it comes, with the
 * socket paused while the reader is behind: millions of rows, never held in memory, at the speed
 * of the database. Errors end the stream with an error, never with a silently shortened file.
 *
 * A reader that stops reading is given up after the connection's idle-in-transaction timeout (the
 * export pool sets one), counted from the chunk it did not take: PostgreSQL's own timeout ends an
 * export whose COPY had finished, this timer one whose COPY is blocked sending (that is not idle),
 * so neither holds its snapshot, nor the lock a load's swap waits for.
 */
export async function* exportCsv(pool: pg.Pool, raw: Record<string, string | string[] | undefined>): AsyncGenerator<Buffer> {
  // The route refuses a query with problems before streaming; here they are just left out.
  const { query } = parseDataQuery(raw);
  const params: unknown[] = [];
  const where = filterClause(query, params);
  const columns = visibleColumns(query);
  const client = await pool.connect();
  // The server ends an export whose reader stalled: that must surface as this export's error at
  // its next read, not crash the process as an unhandled 'error' event.
  const onError = (): void => {};
  client.on('error', onError);
  let failed = false;
  let released = false;
  let stalled: Error | null = null;
  let stallTimer: NodeJS.Timeout | undefined;
  let copy: ReturnType<typeof copyTo> | null = null;
  try {
    await client.query('BEGIN READ ONLY');
    const setting = await client.query<{ ms: number }>(`SELECT setting::int AS ms FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'`);
    const stallMs = setting.rows[0]?.ms ?? 0;
    const select = `SELECT ${columns.map(selectOf).join(', ')} FROM public.historical_stocks_data t WHERE ${inlineParameters(where, params, (text) => client.escapeLiteral(text))} ORDER BY ${orderClause(query)}`;
    copy = client.query(copyTo(`COPY (${select}) TO STDOUT WITH (FORMAT csv)`));
    // Errors reach this generator through the loop below; one that comes after the stream was
    // ended (the connection closed under a stalled reader) must not become an uncaught 'error'.
    copy.on('error', onError);
    // The header is written here, not by COPY's HEADER option: the names of csvRecord, as before.
    const header = Buffer.from(csvRecord(columns));
    const chunks: Buffer[] = [header];
    let size = header.length;
    const handOver = async function* (): AsyncGenerator<Buffer> {
      const chunk = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      chunks.length = 0;
      size = 0;
      if (stallMs > 0)
        stallTimer = setTimeout(() => {
          stalled = new Error(`the export's reader took nothing for ${stallMs} ms; the export was ended`);
          // Closing the connection makes PostgreSQL end the COPY and its transaction now.
          copy?.destroy(stalled);
          released = true;
          client.release(stalled);
        }, stallMs);
      yield chunk;
      clearTimeout(stallTimer);
      if (stalled) throw stalled;
    };
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= CHUNK_BYTES) yield* handOver();
    }
    if (size > 0) yield* handOver();
    if (stalled) throw stalled;
    await client.query('COMMIT');
  } catch (error) {
    failed = true;
    throw stalled ?? error;
  } finally {
    clearTimeout(stallTimer);
    if (!released) {
      // A consumer that stopped early leaves the COPY running: the connection is dropped then.
      const unfinished = copy !== null && !copy.readableEnded;
      if (failed && !unfinished) await client.query('ROLLBACK').catch(() => {});
      const open =
        !unfinished &&
        (await client.query('SELECT 1').then(
          () =>
            client.query('ROLLBACK').then(
              () => true,
              () => true,
            ),
          () => false,
        ));
      client.removeListener('error', onError);
      client.release(!open);
    }
  }
}
