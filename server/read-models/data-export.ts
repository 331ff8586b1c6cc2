import type pg from 'pg';

import { copyOut, type CopyOutStream } from '../db/copy-out';
import { csvRecord } from '../pipeline/csv';
import { filterClause, orderClause, parseDataQuery, type TableColumn, visibleColumns } from './data-page';
import { EXPORT_SPLIT, exportParts, type ExportSplitSettings, RANGE_SCAN_SETTINGS } from './export-split';
import { inPartOrder, type PartProducer } from './ordered-parts';

export interface ExportSettings {
  /**
   * Smaller pieces are gathered into one chunk of at least this size before they go to the reader
   * (per-chunk costs: HTTP framing, awaits). A socket read's rows (~60 KiB) pass as they are: joining
   * them again would copy every byte and double the memory allocated per export, and with it the
   * garbage collections of the panel's whole heap that such allocation triggers.
   */
  chunkBytes: number;
  /** CSV the parts produced ahead may hold in memory while they wait for their turn. */
  aheadBytes: number;
  split: ExportSplitSettings;
}

export const EXPORT_SETTINGS: ExportSettings = { chunkBytes: 32 * 1024, aheadBytes: 8 * 1024 * 1024, split: EXPORT_SPLIT };

/**
 * Whether a name column starts with a character (by code: = + - @ tab CR) that makes a spreadsheet
 * read the cell as a formula (`spreadsheetSafe`'s rule). ascii() of the first character: left()
 * made a text per row, a fifth of the COPY's time.
 */
const startsLikeFormula = (column: string): string => `ascii(${column}) IN (61, 43, 45, 64, 9, 13)`;

/** sql/migrations/021 indexes the names matching exactly this condition (the planner matches the text). */
export const FORMULA_NAME_CONDITION = startsLikeFormula('company_name');

/**
 * Each column as the export writes it: PostgreSQL's own text for numbers and dates (what the data
 * page shows), and company_name, the one text column, neutralised as a spreadsheet formula (a
 * leading ' when it starts like one), in SQL so COPY writes it; with `guardNames` false, as it is
 * (no name in the table starts like a formula: the check per row cost 11% of the COPY).
 */
export function selectOf(column: TableColumn, guardNames = true): string {
  if (column !== 'company_name') return `t.${column}`;
  if (!guardNames) return 't.company_name';
  return `CASE WHEN ${startsLikeFormula('t.company_name')} THEN '''' || t.company_name ELSE t.company_name END AS company_name`;
}

/** Whether any company name starts like a formula: one probe of migration 021's partial index. */
export async function namesNeedGuard(client: pg.ClientBase | pg.Pool): Promise<boolean> {
  const found = await client.query<{ exists: boolean }>(`SELECT EXISTS (SELECT 1 FROM public.historical_stocks_data WHERE ${FORMULA_NAME_CONDITION}) AS exists`);
  return found.rows[0]?.exists !== false;
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

/** One connection of an export, and the COPY it is running (null between parts). */
interface ExportConnection {
  client: pg.PoolClient;
  copy: CopyOutStream | null;
  released: boolean;
}

/**
 * The data page's current filtered, sorted view as CSV (header first, hidden columns left out),
 * written by PostgreSQL itself (`COPY (SELECT ...) TO STDOUT`) and streamed as it comes, with the
 * socket paused while the reader is behind: millions of rows, never held in memory, at the speed
 * of the database. Errors end the stream with an error, never with a silently shortened file.
 *
 * A big export is cut into ranges of its order (`exportParts`) that a second connection, reading
 * the same snapshot, COPYs side by side with the first; the ranges are handed over in order. The
 * second connection is taken only when the export pool has one free, and only once it holds the
 * table's lock, so a load's swap can never slip in between the two.
 *
 * A reader that stops reading is given up after the connection's idle-in-transaction timeout (the
 * export pool sets one), counted from the chunk it did not take: a COPY blocked sending is not
 * idle, so this timer ends it; a connection whose COPYs are all done has already ended its
 * transaction. Neither holds its snapshot, nor the lock a load's swap waits for.
 */
export async function* exportCsv(pool: pg.Pool, raw: Record<string, string | string[] | undefined>, settings: ExportSettings = EXPORT_SETTINGS): AsyncGenerator<Buffer> {
  // The route refuses a query with problems before streaming; here they are just left out.
  const { query } = parseDataQuery(raw);
  const params: unknown[] = [];
  const filter = filterClause(query, params);
  const columns = visibleColumns(query);
  const connections = [await openConnection(pool)];
  const leader = connections[0]!;
  let failed = false;
  let stalled: Error | null = null;
  let stallTimer: NodeJS.Timeout | undefined;
  try {
    await leader.client.query(BEGIN_EXPORT);
    const setting = await leader.client.query<{ ms: number }>(`SELECT setting::int AS ms FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'`);
    const stallMs = setting.rows[0]?.ms ?? 0;
    const where = inlineParameters(filter, params, (text) => leader.client.escapeLiteral(text));
    const parts = await exportParts(leader.client, query, where, settings.split);
    if (parts.length > 1) {
      const second = await joinSnapshot(pool, leader.client).catch(async () => {
        // The snapshot could not be exported, which aborts this transaction: start it again and
        // export on this connection alone (the parts are plain conditions, valid in any snapshot).
        await leader.client.query('ROLLBACK');
        await leader.client.query(BEGIN_EXPORT);
        for (const setting of RANGE_SCAN_SETTINGS) await leader.client.query(`SET LOCAL ${setting} = off`);
        return null;
      });
      if (second) connections.push(second);
    }
    // Asked in the export's snapshot, the one every COPY below reads.
    const guardNames = columns.includes('company_name') && (await namesNeedGuard(leader.client));
    const selectList = columns.map((column) => selectOf(column, guardNames)).join(', ');
    const select = (part: string): string => `SELECT ${selectList} FROM public.historical_stocks_data t WHERE ${where} AND ${part} ORDER BY ${orderClause(query)}`;
    const copyPart: PartProducer<ExportConnection> = async (connection, part, emit) => {
      const copy = connection.client.query(copyOut(`COPY (${select(parts[part]!)}) TO STDOUT WITH (FORMAT csv)`));
      connection.copy = copy;
      // Errors reach the export through the loop below; one that comes after the stream was
      // ended (the connection closed under a stalled reader) must not become an uncaught 'error'.
      copy.on('error', ignore);
      for await (const chunk of copy as AsyncIterable<Buffer>) await emit(chunk);
      connection.copy = null;
    };
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
          // Closing the connections makes PostgreSQL end the COPYs and their transactions now.
          for (const connection of connections) {
            if (connection.released) continue;
            connection.copy?.destroy(stalled);
            connection.released = true;
            connection.client.release(stalled);
          }
        }, stallMs);
      yield chunk;
      clearTimeout(stallTimer);
      if (stalled) throw stalled;
    };
    for await (const chunk of inPartOrder(connections, parts.length, copyPart, settings.aheadBytes, finishConnection)) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= settings.chunkBytes) yield* handOver();
    }
    if (size > 0) yield* handOver();
    if (stalled) throw stalled;
  } catch (error) {
    failed = true;
    throw stalled ?? error;
  } finally {
    clearTimeout(stallTimer);
    await Promise.all(connections.map((connection) => releaseConnection(connection, failed)));
  }
}

const ignore = (): void => {};

/** Repeatable read: the snapshot of the first statement holds for every COPY, and a second connection can import it. */
const BEGIN_EXPORT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

async function openConnection(pool: pg.Pool): Promise<ExportConnection> {
  const client = await pool.connect();
  // The server ends an export whose reader stalled: that must surface as this export's error at
  // its next read, not crash the process as an unhandled 'error' event.
  client.on('error', ignore);
  return { client, copy: null, released: false };
}

/**
 * A second connection on the leader's snapshot, or null when the export pool has none free (other
 * exports and pages come first) or the table's lock does not come at once (a load's swap waits
 * for it: the export then runs on one connection rather than queue behind the swap). Throws only
 * when the leader could not export its snapshot.
 */
async function joinSnapshot(pool: pg.Pool, leader: pg.PoolClient): Promise<ExportConnection | null> {
  const free = pool.idleCount > 0 || pool.totalCount < (pool.options.max ?? 10);
  if (!free || pool.waitingCount > 0) return null;
  const snapshot = await leader.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  const connection = await openConnection(pool);
  try {
    await connection.client.query(BEGIN_EXPORT);
    await connection.client.query(`SET TRANSACTION SNAPSHOT ${connection.client.escapeLiteral(snapshot.rows[0]!.id)}`);
    await connection.client.query(`SET LOCAL lock_timeout = '250ms'`);
    await connection.client.query('LOCK TABLE public.historical_stocks_data IN ACCESS SHARE MODE');
    for (const setting of RANGE_SCAN_SETTINGS) await connection.client.query(`SET LOCAL ${setting} = off`);
    return connection;
  } catch {
    await releaseConnection(connection, true);
    return null;
  }
}

/**
 * A connection whose COPYs are all done goes back to the pool now: its rows are in the parts (in
 * memory or sent), and an open transaction waiting for a slow reader would hit the server's
 * idle-in-transaction timeout. A connection that cannot end its transaction is dropped.
 */
async function finishConnection(connection: ExportConnection): Promise<void> {
  if (connection.released) return;
  connection.released = true;
  const ended = await connection.client.query('COMMIT').then(
    () => true,
    () => false,
  );
  connection.client.removeListener('error', ignore);
  connection.client.release(!ended);
}

/**
 * Back to the pool when its transaction can be ended cleanly; dropped when a COPY was left
 * running (a reader that stopped early) or the connection no longer answers.
 */
async function releaseConnection(connection: ExportConnection, failed: boolean): Promise<void> {
  if (connection.released) return;
  connection.released = true;
  const { client, copy } = connection;
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
  client.removeListener('error', ignore);
  client.release(!open);
}
