import type { Readable, Writable } from 'node:stream';

export interface ReplaceCompaniesInput {
  /** Every company of the batch: each ends up holding exactly the rows in `rows`. */
  companies: readonly string[];
  /** Output CSV (no header, table column order). */
  rows: Readable;
  /** Rows the transform step wrote; a different count aborts the load. */
  expectedRows: number;
  /** Aborting rolls the load back, up to the moment of COMMIT. */
  signal?: AbortSignal;
  /** Told what the load does after the rows are in (building keys and indexes, swapping), for operators. */
  onPhase?: (phase: string) => void;
}

export interface LoadResult {
  rowsLoaded: number;
  rowsReplaced: number;
  companies: number;
  /** incremental: DELETE + COPY into the indexed table; bulk: new table, indexes built once, swapped in. */
  strategy: 'incremental' | 'bulk';
}

/**
 * An open, uncommitted replace: the batch's old rows are gone inside the transaction and `rows`
 * takes the new ones as output CSV. Nothing is visible to others until commit.
 */
export interface ReplaceSession {
  rows: Writable;
  /** Ends the rows, checks their count, commits. Rolls back and throws on any mismatch or error. */
  commit(expectedRows: number, signal?: AbortSignal, onPhase?: (phase: string) => void): Promise<LoadResult>;
  /** Rolls back: the table is exactly as before the session. */
  abort(): Promise<void>;
}

/** historical_stocks_data as the load step sees it: all-or-nothing replaces of companies. */
export interface StockTable {
  replaceCompanies(input: ReplaceCompaniesInput): Promise<LoadResult>;
  /** `estimatedRows` (when known) lets a large batch take the bulk path. */
  beginReplace(companies: readonly string[], options?: { estimatedRows?: number }): Promise<ReplaceSession>;
}
