import type { Readable, Writable } from 'node:stream';

import type { Shard } from './shard';

/**
 * companies: each batch company ends with exactly its new rows, the others keep theirs (default).
 * replace: the table ends holding exactly the batch.
 */
export type LoadMode = 'companies' | 'replace';
export const LOAD_MODES: readonly LoadMode[] = ['companies', 'replace'];

/** What the load replaces besides the batch's own companies. */
export interface ReplaceScope {
  mode: LoadMode;
  /**
   * The batch is stockflow's synthetic demo data: its companies are remembered as demo ones. A
   * batch of real data removes every remembered demo company's rows, so demo rows never mix with real ones.
   */
  demo: boolean;
  /**
   * A shard's load: only companies of this shard (pipeline/shard.ts) are in scope, so replace
   * mode and the demo clean-up touch only them; the other shards' loads do the rest.
   */
  shard?: Shard;
}

/** How one company's rows differ from what the table held before the load. */
export interface CompanyChange {
  company: string;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
}

/** Rows added / changed / removed by a load, compared with the table before it (dates are the key). */
export interface DataChanges {
  totals: { added: number; changed: number; removed: number; unchanged: number; companiesAdded: number; companiesRemoved: number };
  /** Companies with any added, changed or removed row, most changed first (at most `limit`). */
  companies: CompanyChange[];
  /** Companies with changes beyond those listed. */
  moreCompanies: number;
}

/** A source file as a load took it: re-runs skip a file whose fingerprint still matches (stockflow.loaded_files). */
export interface SourceFingerprint {
  key: string;
  etag: string;
  size: number;
  /** The transform's version (TRANSFORM_VERSION): a new way of deriving rows reads every file again. */
  transformVersion: number;
}

export interface LoadedFile extends SourceFingerprint {
  company: string;
  /** SHA-256 of the whole file as read: a later, longer version starting with these bytes only gained rows. */
  sha256?: string;
}

/** The file a company's rows were last loaded from, as recorded: what an append is checked against. */
export interface LoadedVersion {
  size: number;
  sha256: string;
}

/**
 * Companies whose file only gained rows since it was loaded (same first bytes): their rows in the
 * table stay as they are and the load's rows for them are only the new ones. Per company: how many
 * of its file's rows the table holds already, and the SHA-256 recorded for the version they came
 * from (the load refuses to go on if another load has recorded another version since).
 */
export type AppendedCompanies = ReadonlyMap<string, { rowsBefore: number; loadedSha256: string }>;

/** The run a load belongs to and the files its rows came from (recorded with the rows). */
export interface LoadSource {
  runId: string;
  files: readonly LoadedFile[];
}

export interface ReplaceCompaniesInput extends Pick<CommitOptions, 'signal' | 'onPhase' | 'afterCommit'> {
  /** Every company of the batch: each ends up holding exactly the rows in `rows`. */
  companies: readonly string[];
  /** Output CSV (no header, table column order). */
  rows: Readable;
  /** Rows the transform step wrote; a different count aborts the load. */
  expectedRows: number;
  scope?: ReplaceScope;
  source?: LoadSource;
  appended?: AppendedCompanies;
}

export interface LoadResult {
  rowsLoaded: number;
  rowsReplaced: number;
  companies: number;
  /** incremental: rows staged, then only those that differ deleted and inserted; bulk: new table, indexes built once, swapped in. */
  strategy: 'incremental' | 'bulk';
  /** Incremental: rows deleted and inserted (only those that differ from the table); bulk: absent (a new table). */
  rowsWritten?: number;
  mode: LoadMode;
  /** Companies outside the batch whose rows the load removed (replace mode, or demo companies). */
  companiesRemoved: number;
  changes: DataChanges;
  /**
   * A shard of a run whose shards load as one (discover's `oneLoad`): the shard (`1/3`) whose load
   * took this shard's rows; this result's counts are then zero, the rows being counted there.
   */
  loadedWith?: string;
}

/**
 * An open, uncommitted replace: the batch's old rows are gone inside the transaction and `rows`
 * takes the new ones as output CSV. Nothing is visible to others until commit.
 */
export interface CommitOptions {
  /** Aborting rolls the load back, up to the moment of COMMIT. */
  signal?: AbortSignal;
  /** Told what the load does after the rows are in (building keys and indexes, swapping), for operators. */
  onPhase?: (phase: string) => void;
  /**
   * The transform's rows kept per company, when known: spares a first load reading its rows back
   * to count what it added; used only when it adds up to the expected rows.
   */
  rowsByCompany?: ReadonlyMap<string, number>;
  /**
   * Started once the COMMIT succeeded, beside the table's post-load housekeeping (VACUUM, ANALYZE);
   * commit resolves when both are done. It must not reject (the rows are committed whatever it
   * does): it keeps its own failure for its caller.
   */
  afterCommit?: () => Promise<void>;
  /** Batch companies whose rows only gain the ones sent (the others end with exactly theirs); known once every file is read. */
  appended?: AppendedCompanies;
  /** The files behind the rows as read (with their SHA-256), in place of those named at the start. */
  files?: readonly LoadedFile[];
}

/** What the work before the COMMIT is told (prepare, or commit when nothing prepared). */
export type PrepareOptions = Pick<CommitOptions, 'onPhase' | 'rowsByCompany' | 'appended' | 'files'>;

export interface ReplaceSession {
  rows: Writable;
  /**
   * Optional early start, for a caller that has written every row but is not ready to commit (its
   * output file is still being stored): ends the rows and begins what needs all of them (the bulk
   * path's keys and indexes, the comparison with the rows before) in the background. Readers see
   * nothing of it and it takes no lock beyond the load's own. commit, with the same count, finishes
   * it (its own onPhase and rowsByCompany are then not used); abort undoes it.
   */
  prepare(expectedRows: number, options?: PrepareOptions): void;
  /** Ends the rows, checks their count, commits. Rolls back and throws on any mismatch or error. */
  commit(expectedRows: number, options?: CommitOptions): Promise<LoadResult>;
  /** Rolls back: the table is exactly as before the session (work begun by prepare is waited for and undone). */
  abort(): Promise<void>;
}

/** historical_stocks_data as the load step sees it: all-or-nothing replaces of companies. */
export interface StockTable {
  replaceCompanies(input: ReplaceCompaniesInput): Promise<LoadResult>;
  /** `estimatedRows` (when known) lets a large batch take the bulk path. */
  beginReplace(companies: readonly string[], options?: { estimatedRows?: number; scope?: ReplaceScope; source?: LoadSource }): Promise<ReplaceSession>;
  /** Whether a load of about this many rows would rebuild the table (the bulk path) rather than write into it. */
  wouldRebuild(estimatedRows: number): Promise<boolean>;
  /** Of the given files, the companies whose rows were last loaded from exactly that file (key, ETag, size) by this transform version. */
  companiesLoadedFrom(files: ReadonlyArray<Omit<LoadedFile, 'transformVersion'>>, transformVersion: number): Promise<Set<string>>;
  /** Of the given files, those whose company's rows were last loaded from the same key by this transform version, with that file's recorded size and SHA-256. */
  loadedVersions(files: ReadonlyArray<{ company: string; key: string }>, transformVersion: number): Promise<Map<string, LoadedVersion>>;
}
