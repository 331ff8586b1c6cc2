import type { CompanyChange, DataChanges } from '../ports/stock-table';

/** One row of the changes_* queries (sql/insert_query.sql); counts arrive as bigint strings. */
export interface CompanyChangeRow {
  company: string;
  added: string;
  removed: string;
  changed: string;
  matched: string;
}

// Enough for any batch of the sample's size on a run page or in a mail; totals stay exact.
export const LISTED_COMPANY_CHANGES = 1000;

/** Totals and the most-changed companies (ties by name), from per-company counts. */
export function dataChangesOf(rows: readonly CompanyChangeRow[], limit = LISTED_COMPANY_CHANGES): DataChanges {
  const totals = { added: 0, changed: 0, removed: 0, unchanged: 0, companiesAdded: 0, companiesRemoved: 0 };
  const changed: CompanyChange[] = [];
  for (const row of rows) {
    const added = Number(row.added);
    const removed = Number(row.removed);
    const edited = Number(row.changed);
    const unchanged = Number(row.matched) - edited;
    totals.added += added;
    totals.removed += removed;
    totals.changed += edited;
    totals.unchanged += unchanged;
    // A company is new when it had no rows before, gone when it has none after.
    if (added > 0 && removed + edited + unchanged === 0) totals.companiesAdded += 1;
    if (removed > 0 && added + edited + unchanged === 0) totals.companiesRemoved += 1;
    if (added + removed + edited > 0) changed.push({ company: row.company, added, changed: edited, removed, unchanged });
  }
  const weight = (change: CompanyChange): number => change.added + change.changed + change.removed;
  changed.sort((a, b) => weight(b) - weight(a) || (a.company < b.company ? -1 : a.company > b.company ? 1 : 0));
  return { totals, companies: changed.slice(0, limit), moreCompanies: Math.max(0, changed.length - limit) };
}

/** The rows of a load into a table that held none of the batch's companies: every row added. Same as the changes_* queries give then. */
export function addedOnlyChangeRows(rowsByCompany: ReadonlyMap<string, number>): CompanyChangeRow[] {
  return [...rowsByCompany].filter(([, rows]) => rows > 0).map(([company, rows]) => ({ company, added: String(rows), removed: '0', changed: '0', matched: '0' }));
}
