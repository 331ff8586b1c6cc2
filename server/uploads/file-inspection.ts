/** What the Upload page shows about a file before it is stored (built in the browser). */

export interface BadRow {
  /** 1-based physical line in the file, as the pipeline's rejects file numbers it. */
  line: number;
  /** The column the reason is about, or "row" for the row as a whole. */
  field: string;
  reason: string;
}

export interface FileInspection {
  kind: 'stocks' | 'companyList';
  header: { ok: true; note: string | null } | { ok: false; reason: string };
  columns: string[];
  /** The first rows as they will be read (at most FIRST_ROWS). */
  firstRows: string[][];
  rowCount: number;
  badRowCount: number;
  /** The first MAX_BAD_ROWS of them. */
  badRows: BadRow[];
  warnings: string[];
  /** Null when the file may be uploaded (bad rows only warn: the pipeline rejects them into its rejects file). */
  blockedReason: string | null;
}

export const FIRST_ROWS = 5;
export const MAX_BAD_ROWS = 100;
