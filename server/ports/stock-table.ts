import type { Readable } from 'node:stream';

export interface ReplaceCompaniesInput {
  /** Every company of the batch: each ends up holding exactly the rows in `rows`. */
  companies: readonly string[];
  /** Output CSV (no header, table column order). */
  rows: Readable;
  /** Rows the transform step wrote; a different count aborts the load. */
  expectedRows: number;
}

export interface LoadResult {
  rowsLoaded: number;
  rowsReplaced: number;
  companies: number;
}

/** The historical_stocks_data table as the load step sees it: one all-or-nothing replace. */
export interface StockTable {
  replaceCompanies(input: ReplaceCompaniesInput): Promise<LoadResult>;
}
