import { LINE_LIMIT } from '../pipeline/csv-record';
import { controlCharacterReason } from '../pipeline/derive-row';
import { isHeaderFields, looksLikeHeader, parseStockFields, SOURCE_COLUMNS } from '../pipeline/stock-row';
import { type BadRow, type FileInspection, FIRST_ROWS, MAX_BAD_ROWS } from './file-inspection';

const FIELD_OF_REASON = new RegExp(`^(${SOURCE_COLUMNS.join('|')}): `);

/**
 * Reads a stock CSV's records (papaparse's, in the browser) with the pipeline's rules, in the
 * order read-file.ts applies them: blank lines skipped, a header on the first line, then each row
 * checked (control characters, columns, values) and a Date seen twice rejected.
 */
export class StockFileInspector {
  private line = 1;
  private sawFirstLine = false;
  private header: FileInspection['header'] = { ok: true, note: null };
  private readonly firstRows: string[][] = [];
  private rowCount = 0;
  private badRowCount = 0;
  private readonly badRows: BadRow[] = [];
  private readonly firstLineOfDate = new Map<string, number>();
  private zeroOpens = 0;

  /** True once the file cannot be a stock file: reading further is wasted. */
  get stopped(): boolean {
    return !this.header.ok;
  }

  addRecord(fields: string[]): void {
    const line = this.line;
    const text = fields.join(',');
    // papaparse joins a quoted line break into one record; the pipeline reads one record per line.
    const breaks = text.split('\n').length - 1;
    this.line += 1 + breaks;
    if (this.stopped) return;
    if (fields.length === 1 && fields[0]!.trim() === '') return;
    if (!this.sawFirstLine) {
      this.sawFirstLine = true;
      if (isHeaderFields(fields)) return;
      if (looksLikeHeader(text)) {
        this.header = { ok: false, reason: `header: expected ${SOURCE_COLUMNS.join(',')}, found ${JSON.stringify(text.slice(0, 200))}` };
        return;
      }
      this.header = { ok: true, note: 'No header line: the first line is read as data.' };
    }
    this.rowCount += 1;
    const rejection = this.check(fields, text, breaks);
    if (rejection) {
      this.badRowCount += 1;
      if (this.badRows.length < MAX_BAD_ROWS) this.badRows.push({ line, ...rejection });
      return;
    }
    if (this.firstRows.length < FIRST_ROWS) this.firstRows.push(fields);
  }

  private check(fields: string[], text: string, breaks: number): { field: string; reason: string } | null {
    if (breaks > 0) {
      const first = this.line - 1 - breaks;
      // The pipeline is line-oriented on purpose (a stray quote costs one line, not the rest of the file).
      return { field: 'row', reason: `a quote opened here runs over lines ${first}-${this.line - 1}; the pipeline rejects line ${first} and reads the lines after it on their own` };
    }
    if (text.length > LINE_LIMIT) return { field: 'row', reason: `line is ${text.length} characters long; the limit is ${LINE_LIMIT}` };
    const control = controlCharacterReason(text);
    if (control) return { field: 'row', reason: control };
    const parsed = parseStockFields(fields);
    if (!parsed.ok) {
      const field = FIELD_OF_REASON.exec(parsed.reason)?.[1];
      return { field: field ?? 'row', reason: field ? parsed.reason.slice(field.length + 2) : parsed.reason };
    }
    const earlier = this.firstLineOfDate.get(parsed.row.date);
    if (earlier !== undefined) return { field: 'Date', reason: `duplicate Date ${parsed.row.date} (first at line ${earlier})` };
    this.firstLineOfDate.set(parsed.row.date, this.line - 1);
    if (parsed.row.dailyPercentChange === null) this.zeroOpens += 1;
    return null;
  }

  finish(): FileInspection {
    const warnings: string[] = [];
    if (this.header.ok && this.rowCount === 0) warnings.push('No data rows: after a run this company has no rows.');
    if (this.badRowCount > 0) warnings.push(`${this.badRowCount} of ${this.rowCount} rows are bad: a run rejects them into its rejects file.`);
    if (this.zeroOpens > 0) warnings.push(`${this.zeroOpens} rows with Open = 0: daily_percent_change left empty.`);
    return {
      kind: 'stocks',
      header: this.header,
      columns: [...SOURCE_COLUMNS],
      firstRows: this.firstRows,
      rowCount: this.rowCount,
      badRowCount: this.badRowCount,
      badRows: this.badRows,
      warnings,
      blockedReason: this.header.ok ? null : this.header.reason,
    };
  }
}
