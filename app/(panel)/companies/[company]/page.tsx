import Link from 'next/link';
import { notFound } from 'next/navigation';

import { CompanyCharts } from '@/components/companies/CompanyCharts';
import { formatNumber } from '@/components/runs/format';
import { paths } from '@/components/shared/paths';
import { loadCompanyChart } from '@/server/read-models/company-chart';

import { getServices } from '../../../_lib/services';
import { requireUser } from '../../../_lib/session';

/** A company name as stored (the file name up to its first dot), or null for anything else. */
function companyName(param: string): string | null {
  try {
    const name = decodeURIComponent(param).toLowerCase();
    return /^[a-z0-9_&^.-]{1,56}$/.test(name) ? name : null;
  } catch {
    return null;
  }
}

export default async function CompanyPage({ params, searchParams }: { params: Promise<{ company: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireUser();
  const company = companyName((await params).company);
  if (!company) notFound();
  const raw = await searchParams;
  const chart = await loadCompanyChart((await getServices()).pool, company, raw);
  if (!chart) notFound();
  const rangeField = (name: 'from' | 'to', label: string) => {
    const problem = chart.problems[name];
    const typed = Array.isArray(raw[name]) ? raw[name][0] : raw[name];
    return (
      <label>
        {label}{' '}
        <input
          type="date"
          name={name}
          defaultValue={problem ? (typed ?? '') : (chart[name] ?? '')}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${name}-problem` : undefined}
        />
        {problem && (
          <span id={`${name}-problem`} role="alert" className="field-error">
            {problem} — not applied
          </span>
        )}
      </label>
    );
  };
  return (
    <>
      <p>
        <Link href="/companies">← Companies</Link>
      </p>
      <h1>{company}</h1>
      <form className="toolbar" method="get" aria-label="Date range">
        {rangeField('from', 'From')}
        {rangeField('to', 'To')}
        <button type="submit" className="primary">
          Show
        </button>
        <Link href={paths.company(company)}>All dates</Link>
        <Link href={paths.data({ company })}>Rows in the data browser</Link>
      </form>
      <div className="cards">
        <div className="card">
          <div className="label">First date</div>
          <div className="value">{chart.stats.firstDate ?? '–'}</div>
        </div>
        <div className="card">
          <div className="label">Last date</div>
          <div className="value">{chart.stats.lastDate ?? '–'}</div>
        </div>
        <div className="card">
          <div className="label">Rows</div>
          <div className="value" data-testid="company-rows">
            {formatNumber(chart.stats.rows)}
          </div>
        </div>
        <div className="card">
          <div className="label">Min / max close</div>
          <div className="value">
            {formatNumber(chart.stats.minClose)} / {formatNumber(chart.stats.maxClose)}
          </div>
        </div>
      </div>
      {chart.points.length === 0 ? (
        <div className="empty" style={{ marginTop: '1rem' }}>
          No rows in this date range.
        </div>
      ) : (
        <CompanyCharts points={chart.points} bucketed={chart.downsampled} />
      )}
      <p className="muted" data-testid="chart-note">
        {chart.downsampled
          ? `${formatNumber(chart.stats.rows)} trading days in ${formatNumber(chart.points.length)} buckets of consecutive days (grouped on the server); hover a candle to see the days it covers. `
          : 'One candle per trading day. '}
        {chart.elapsedMs} ms
      </p>
    </>
  );
}
