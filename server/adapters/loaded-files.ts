import type pg from 'pg';

import { readNamedQueries } from '../db/sql-files';
import type { LoadedFile, SourceFingerprint } from '../ports/stock-table';

const queries = readNamedQueries('loaded_files.sql');

/** What stockflow.loaded_files says each company's rows came from. */
export async function readLoadedFiles(pool: pg.Pool, companies: readonly string[]): Promise<Map<string, SourceFingerprint>> {
  const found = await pool.query<{ company_name: string; source_key: string; etag: string; size: string; transform_version: number }>(queries.read_loaded_files!, [companies]);
  return new Map(found.rows.map((row) => [row.company_name, { key: row.source_key, etag: row.etag, size: Number(row.size), transformVersion: row.transform_version }]));
}

/**
 * In the load's transaction: every company whose rows it replaced or removed loses its record,
 * then the batch's files are recorded. A company loaded without a file of record is therefore
 * never skipped later.
 */
export async function recordLoadedFiles(client: pg.PoolClient, input: { runId: string | undefined; files: readonly LoadedFile[]; affected: readonly string[]; replaceAll: boolean }): Promise<void> {
  await client.query(input.replaceAll ? queries.forget_all_loaded_files! : queries.forget_loaded_files!, input.replaceAll ? [] : [input.affected]);
  if (input.files.length === 0 || input.runId === undefined) return;
  const column = <T>(pick: (file: LoadedFile) => T): T[] => input.files.map(pick);
  await client.query(queries.record_loaded_files!, [
    column((file) => file.company),
    column((file) => file.key),
    column((file) => file.etag),
    column((file) => file.size),
    column((file) => file.transformVersion),
    input.files.map(() => input.runId),
  ]);
}
