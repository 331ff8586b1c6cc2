import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { readNamedQueries } from '../db/sql-files';
import type { LoadResult, ReplaceCompaniesInput, StockTable } from '../ports/stock-table';

const queries = readNamedQueries('insert_query.sql');

/** historical_stocks_data in PostgreSQL: DELETE the batch's companies and COPY their rows, atomically. */
export class PgStockTable implements StockTable {
  constructor(private readonly pool: pg.Pool) {}

  async replaceCompanies(input: ReplaceCompaniesInput): Promise<LoadResult> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query(queries.lock_table!);
      const deleted = await client.query(queries.delete_batch_companies!, [input.companies]);
      const copy = client.query(copyFrom(queries.copy_rows!));
      await pipeline(input.rows, copy);
      const rowsLoaded = Number(copy.rowCount);
      if (rowsLoaded !== input.expectedRows) {
        throw new Error(`COPY loaded ${rowsLoaded} rows but the transform step wrote ${input.expectedRows}; nothing was changed`);
      }
      await client.query('COMMIT');
      return { rowsLoaded, rowsReplaced: deleted.rowCount ?? 0, companies: input.companies.length };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
