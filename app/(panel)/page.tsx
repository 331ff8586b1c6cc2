import Link from 'next/link';

import { formatDuration, formatNumber } from '@/components/runs/format';
import { StatusBadge } from '@/components/runs/StatusBadge';
import { AutoRefresh } from '@/components/shared/AutoRefresh';
import { paths } from '@/components/shared/paths';
import { loadOverview } from '@/server/read-models/overview';

import { getServices } from '../_lib/services';
import { requireUser } from '../_lib/session';

export default async function OverviewPage() {
  await requireUser();
  const overview = await loadOverview(await getServices());
  const { data } = overview;
  return (
    <>
      <h1>Overview</h1>
      <AutoRefresh active={overview.active.length > 0} />
      {data.demoCompanies > 0 && (
        <p className="notice" role="note" data-testid="demo-notice">
          Demo data: {formatNumber(data.demoCompanies)} of the {formatNumber(data.companies)} companies in the table are synthetic. Copy real files in with <code>stockflow seed --from DIR</code> (it
          replaces the demo files), or upload a company list and its files on the Upload page; the next run removes the demo rows.
        </p>
      )}
      <div className="cards">
        <div className="card">
          <div className="label">Host</div>
          <div className="value">
            <StatusBadge status={overview.hostBadge} /> {overview.host.status}
          </div>
          <div className="muted">{overview.host.id}</div>
        </div>
        <div className="card">
          <div className="label">Rows</div>
          <div className="value">{formatNumber(data.rows)}</div>
        </div>
        <div className="card">
          <div className="label">Companies</div>
          <div className="value">{formatNumber(data.companies)}</div>
        </div>
        <div className="card">
          <div className="label">Date range</div>
          <div className="value" style={{ fontSize: '1rem' }}>
            {data.firstDate ?? '–'} → {data.lastDate ?? '–'}
          </div>
        </div>
        <div className="card">
          <div className="label">Mean open / close</div>
          <div className="value" style={{ fontSize: '1rem' }}>
            {formatNumber(data.meanOpen)} / {formatNumber(data.meanClose)}
          </div>
        </div>
        <div className="card">
          <div className="label">Sum of value change</div>
          <div className="value" style={{ fontSize: '1rem' }}>
            {formatNumber(data.sumValueChange)}
          </div>
        </div>
      </div>
      <h2>Running and queued</h2>
      {overview.active.length === 0 ? (
        <p className="muted">
          Nothing is running. <Link href="/runs">Trigger a run</Link>.
        </p>
      ) : (
        <ul>
          {overview.active.map((run) => (
            <li key={run.id}>
              <Link href={paths.run(run.id)}>{run.id}</Link> <StatusBadge status={run.status} />
            </li>
          ))}
        </ul>
      )}
      <h2>Last load</h2>
      {overview.lastSuccess ? (
        <p>
          <Link href={paths.run(overview.lastSuccess.id)}>{overview.lastSuccess.id}</Link> finished {overview.lastSuccess.finishedAtText}, loaded {formatNumber(overview.lastSuccess.rowsLoaded)} rows.
        </p>
      ) : (
        <p className="muted">No successful load yet.</p>
      )}
      {overview.lastRejects && (
        <>
          <h2>Rejects of the last run</h2>
          {overview.lastRejects.rejected === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul>
              <li>
                {formatNumber(overview.lastRejects.rejected)} rows rejected in <Link href={paths.run(overview.lastRejects.runId)}>{overview.lastRejects.runId}</Link>
              </li>
              {overview.lastRejects.first.map((reject) => (
                <li key={`${reject.file}:${reject.line}`} className="muted">
                  {reject.file}:{reject.line}: {reject.reason}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <h2>Recent runs</h2>
      {overview.recent.length === 0 ? (
        <div className="empty">No runs yet.</div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Trigger</th>
                <th>Queued</th>
                <th className="num">Duration</th>
              </tr>
            </thead>
            <tbody>
              {overview.recent.map((run) => (
                <tr key={run.id}>
                  <td>
                    <Link href={paths.run(run.id)}>{run.id}</Link>
                  </td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>{run.triggerKind}</td>
                  <td>
                    <time dateTime={run.queuedAt}>{run.queuedAtText}</time>
                  </td>
                  <td className="num">{formatDuration(run.startedAt, run.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
