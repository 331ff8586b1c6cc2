import Link from 'next/link';

import { paths } from '@/components/shared/paths';
import type { DataChangesView } from '@/server/read-models/run-detail';

import { formatNumber } from './format';

const MODE_TEXT: Record<DataChangesView['loadMode'], string> = {
  companies: 'companies: the listed companies\u2019 rows were replaced, the others kept',
  replace: 'replace: the table holds exactly this batch',
};
// The rest of a long list opens on request: a 1,000-company table is not the page's first read.
const SHOWN_FIRST = 20;

/** The load's mode and what it changed compared with the table before the run. */
export function DataChanges({ summary }: { summary: DataChangesView }) {
  const { changes } = summary;
  return (
    <section aria-labelledby="data-changes-heading">
      <h2 id="data-changes-heading">Data changes</h2>
      <p data-testid="load-mode">
        Load mode: <strong>{summary.loadMode}</strong> <span className="muted">({MODE_TEXT[summary.loadMode]})</span>
        {summary.demo && <span className="muted"> · synthetic demo data</span>}
      </p>
      {summary.filesUnchanged > 0 && (
        <p data-testid="files-unchanged" className="muted">
          {formatNumber(summary.filesUnchanged)} files unchanged since their rows were loaded: not read again (a run with &ldquo;Read unchanged files too&rdquo; reads them).
        </p>
      )}
      {summary.filesAppended > 0 && (
        <p data-testid="files-appended" className="muted">
          {formatNumber(summary.filesAppended)} files only gained rows since their rows were loaded: only the new rows were loaded, the earlier ones kept as they were (a run with &ldquo;Read unchanged
          files too&rdquo; loads them whole).
        </p>
      )}
      {!changes ? (
        <p className="muted">Known once the load has committed.</p>
      ) : (
        <>
          <p data-testid="change-totals">
            Compared with the table before this run: {formatNumber(changes.totals.added)} rows added, {formatNumber(changes.totals.changed)} changed, {formatNumber(changes.totals.removed)} removed,{' '}
            {formatNumber(changes.totals.unchanged)} unchanged; {formatNumber(changes.totals.companiesAdded)} companies new, {formatNumber(changes.totals.companiesRemoved)} removed
            {summary.companiesRemoved > 0 && <> ({formatNumber(summary.companiesRemoved)} outside this batch)</>}.
          </p>
          {changes.companies.length === 0 ? (
            <p className="muted">No company&apos;s rows changed.</p>
          ) : (
            <>
              <ChangeTable rows={changes.companies.slice(0, SHOWN_FIRST)} label="Changes per company" />
              {changes.companies.length > SHOWN_FIRST && (
                <details>
                  <summary>The other {formatNumber(changes.companies.length - SHOWN_FIRST)} companies with changes</summary>
                  <ChangeTable rows={changes.companies.slice(SHOWN_FIRST)} label="More changes per company" />
                </details>
              )}
              {changes.moreCompanies > 0 && <p className="muted">and {formatNumber(changes.moreCompanies)} more companies with changes (counted in the totals).</p>}
            </>
          )}
        </>
      )}
    </section>
  );
}

function ChangeTable({ rows, label }: { rows: NonNullable<DataChangesView['changes']>['companies']; label: string }) {
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th>Company</th>
            <th className="num">Added</th>
            <th className="num">Changed</th>
            <th className="num">Removed</th>
            <th className="num">Unchanged</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.company}>
              <td>
                <Link href={paths.company(row.company)}>{row.company}</Link>
              </td>
              <td className="num">{formatNumber(row.added)}</td>
              <td className="num">{formatNumber(row.changed)}</td>
              <td className="num">{formatNumber(row.removed)}</td>
              <td className="num">{formatNumber(row.unchanged)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
