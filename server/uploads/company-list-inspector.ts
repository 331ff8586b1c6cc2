import { parseCompanyList } from '../pipeline/company-list';
import { isHeaderLine } from '../pipeline/stock-row';
import { type FileInspection, FIRST_ROWS, MAX_BAD_ROWS } from './file-inspection';

/** Company lists are a few KB; anything this big was dropped by mistake. */
export const COMPANY_LIST_SIZE_LIMIT = 5 * 1024 * 1024;

/** The company list read with discover's parser: names, duplicates and entries that name no company. */
export function inspectCompanyList(text: string): FileInspection {
  const firstLine =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((line) => line.trim() !== '') ?? '';
  if (isHeaderLine(firstLine)) {
    const reason = 'header: this is a stock file (Date,Open,...), not a company list: name it <ticker>.csv';
    return { kind: 'companyList', header: { ok: false, reason }, columns: [], firstRows: [], rowCount: 0, badRowCount: 0, badRows: [], warnings: [], blockedReason: reason };
  }
  const list = parseCompanyList(text);
  const warnings = [`Replaces the company list: the next run processes only these ${list.companies.length} companies.`];
  if (list.duplicates.length > 0)
    warnings.push(
      `${list.duplicates.length} names listed twice (processed once): ${list.duplicates
        .slice(0, 5)
        .map((entry) => entry.company)
        .join(', ')}.`,
    );
  return {
    kind: 'companyList',
    header: { ok: true, note: 'A company list has no header: one line of quoted names, or one name per line.' },
    columns: ['Company', 'Written as', 'Line'],
    firstRows: list.companies.slice(0, FIRST_ROWS).map((entry) => [entry.company, entry.raw, String(entry.line)]),
    rowCount: list.companies.length,
    badRowCount: list.invalid.length,
    badRows: list.invalid.slice(0, MAX_BAD_ROWS).map((entry) => ({ line: entry.line, field: 'name', reason: `${JSON.stringify(entry.raw.slice(0, 80))}: ${entry.reason}` })),
    warnings,
    blockedReason: list.companies.length === 0 ? 'the list names no company' : null,
  };
}
