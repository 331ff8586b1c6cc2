import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { finished, pipeline } from 'node:stream/promises';
import { readNamedQueries } from '../db/sql-files';
import type { LoadResult, ReplaceCompaniesInput, ReplaceSession, StockTable } from '../ports/stock-table';

const queries = readNamedQueries('insert_query.sql');

/** historical_stocks_data in PostgreSQL: DELETE the batch's companies and COPY their rows, atomically. */
export class PgStockTable implements StockTable {
  constructor(private readonly pool: pg.Pool) {}

  async replaceCompanies(input: ReplaceCompaniesInput): Promise<LoadResult> {
    const session = await this.beginReplace(input.companies);
    try {
      await pipeline(input.rows, session.rows, { signal: input.signal });
    } catch (error) {
      await session.abort();
      throw error;
    }
    return session.commit(input.expectedRows, input.signal);
  }

  async beginReplace(companies: readonly string[]): Promise<ReplaceSession> {
    const client = await this.pool.connect();
    // Errors also reach the pending query or COPY; this only keeps a dropped connection from crashing the process.
    const ignore = (): void => {};
    client.on('error', ignore);
    let released = false;
    const release = (broken: boolean): void => {
      if (released) return;
      released = true;
      client.off('error', ignore);
      client.release(broken);
    };
    const rollback = async (): Promise<void> => {
      if (released) return;
      let broken = false;
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      release(broken);
    };
    let rowsReplaced = 0;
    try {
      await client.query('BEGIN');
      await client.query(queries.lock_table!);
      rowsReplaced = (await client.query(queries.delete_batch_companies!, [companies])).rowCount ?? 0;
    } catch (error) {
      await rollback();
      throw error;
    }
    const copy = client.query(copyFrom(queries.copy_rows!));
    // pg-copy-streams emits a server-side COPY error without marking the stream errored: keep the
    // first one to report at commit (later writes fail with less telling errors).
    let copyError: Error | null = null;
    copy.on('error', (error: Error) => {
      copyError ??= error;
    });
    return {
      rows: copy,
      async commit(expectedRows, signal) {
        try {
          if (copyError) throw copyError;
          if (!copy.writableEnded) copy.end();
          await finished(copy).catch((error: unknown) => {
            throw copyError ?? error;
          });
          const rowsLoaded = Number(copy.rowCount);
          if (rowsLoaded !== expectedRows) {
            throw new Error(`COPY loaded ${rowsLoaded} rows but the transform step wrote ${expectedRows}; nothing was changed`);
          }
          signal?.throwIfAborted();
          await client.query('COMMIT');
          // Fresh planner statistics after a bulk load: row estimates and index choices stay right.
          await client.query(queries.analyze_table!).catch(() => {});
          release(false);
          return { rowsLoaded, rowsReplaced, companies: companies.length };
        } catch (error) {
          await rollback();
          throw error;
        }
      },
      async abort() {
        if (!copy.destroyed) copy.destroy(new Error('load aborted'));
        // A destroyed COPY leaves the connection mid-protocol: drop it rather than reuse it.
        await client.query('ROLLBACK').catch(() => {});
        release(true);
      },
    };
  }
}
