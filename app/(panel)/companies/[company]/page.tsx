import Link from 'next/link';
import { notFound } from 'next/navigation';
import { loadCompanyChart } from '@/server/read-models/company-chart';
import { CompanyCharts } from '@/components/companies/CompanyCharts';
import { formatNumber } from '@/components/runs/format';
import { getServices } from '../../../_lib/services';
import { requireUser } from '../../../_lib/session';

export default async function CompanyPage({ params, searchParams }: { params: Promise<{ company: string }>; searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser();
  const company = decodeURIComponent((await params).company).toLowerCase();
  const chart = await loadCompanyChart((await getServices()).pool, company, await searchParams);
  if (!chart) notFound();
  return (
    <>
      <p><Link href="/companies">← Companies</Link></p>
      <h1>{company}</h1>
      <form className="toolbar" method="get" aria-label="Date range">
        <label>From <input type="date" name="from" defaultValue={chart.from ?? ''} /></label>
        <label>To <input type="date" name="to" defaultValue={chart.to ?? ''} /></label>
        <button type="submit" className="primary">Show</button>
        <Link href={`/companies/${encodeURIComponent(company)}`}>All dates</Link>
        <Link href={`/data?company=${encodeURIComponent(company)}`}>Rows in the data browser</Link>
      </form>
      <div className="cards">
        <div className="card"><div className="label">First date</div><div className="value">{chart.stats.firstDate ?? '–'}</div></div>
        <div className="card"><div className="label">Last date</div><div className="value">{chart.stats.lastDate ?? '–'}</div></div>
        <div className="card"><div className="label">Rows</div><div className="value" data-testid="company-rows">{formatNumber(chart.stats.rows)}</div></div>
        <div className="card"><div className="label">Min / max close</div><div className="value">{formatNumber(chart.stats.minClose)} / {formatNumber(chart.stats.maxClose)}</div></div>
      </div>
      {chart.points.length === 0 ? <div className="empty" style={{ marginTop: '1rem' }}>No rows in this date range.</div> : <CompanyCharts points={chart.points} />}
      <p className="muted">{chart.downsampled ? `Downsampled on the server to ${chart.points.length} points. ` : ''}{chart.elapsedMs} ms</p>
    </>
  );
}
