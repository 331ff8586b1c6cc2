import type pg from 'pg';

import { readNamedQueries } from '../db/sql-files';
import type { AppendedCompanies, LoadedFile, LoadedVersion } from '../ports/stock-table';

const queries = readNamedQueries('loaded_files.sql');

// Files compared per query: the arrays are sent as text, so a batch of 100,000 goes in parts.
const COMPARED_PER_QUERY = 10_000;

/** Of `files`, the companies stockflow.loaded_files says were last loaded from exactly that file by `transformVersion`. */
export async function companiesLoadedFrom(pool: pg.Pool, files: ReadonlyArray<Omit<LoadedFile, 'transformVersion'>>, transformVersion: number): Promise<Set<string>> {
  const companies = new Set<string>();
  for (let start = 0; start < files.length; start += COMPARED_PER_QUERY) {
    const part = files.slice(start, start + COMPARED_PER_QUERY);
    const column = <T>(pick: (file: Omit<LoadedFile, 'transformVersion'>) => T): T[] => part.map(pick);
    const found = await pool.query<[string]>({
      text: queries.companies_loaded_from!,
      values: [column((file) => file.company), column((file) => file.key), column((file) => file.etag), column((file) => file.size), transformVersion],
      rowMode: 'array',
    });
    for (const [company] of found.rows) companies.add(company);
  }
  return companies;
}

/** Of `files`, the recorded size and SHA-256 of the version each company's rows were last loaded from (same key, `transformVersion`). */
export async function loadedVersions(pool: pg.Pool, files: ReadonlyArray<{ company: string; key: string }>, transformVersion: number): Promise<Map<string, LoadedVersion>> {
  const versions = new Map<string, LoadedVersion>();
  for (let start = 0; start < files.length; start += COMPARED_PER_QUERY) {
    const part = files.slice(start, start + COMPARED_PER_QUERY);
    const found = await pool.query<[string, string, string]>({
      text: queries.loaded_versions!,
      values: [part.map((file) => file.company), part.map((file) => file.key), transformVersion],
      rowMode: 'array',
    });
    for (const [company, size, sha256] of found.rows) versions.set(company, { size: Number(size), sha256 });
  }
  return versions;
}

/**
 * In the load's transaction, holding the table lock: throws when another load has replaced an
 * appended company's rows since this run read its file (its record names another version). The new
 * rows would then be added to rows of another version of the file; nothing is changed.
 */
export async function refuseChangedBases(client: pg.PoolClient, appended: AppendedCompanies): Promise<void> {
  if (appended.size === 0) return;
  const changed = await client.query<{ company_name: string }>(queries.appended_bases_changed!, [[...appended.keys()], [...appended.values()].map((base) => base.loadedSha256)]);
  if (changed.rows.length === 0) return;
  const names = changed.rows.map((row) => row.company_name).join(', ');
  throw new Error(`another run loaded other versions of ${names} after this run read their files; nothing was changed: start the run again`);
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
    column((file) => file.sha256 ?? null),
  ]);
}
