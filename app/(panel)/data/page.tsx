import Link from 'next/link';
import { TABLE_COLUMNS } from '@/server/pipeline/stock-row';
import { loadDataPage, type DataQuery } from '@/server/read-models/data-page';
import { formatNumber } from '@/components/runs/format';
import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

const NUMERIC = new Set(['open_value', 'high_value', 'low_value', 'close_value', 'volume_traded', 'daily_percent_change', 'value_change']);

function filtersOf(query: DataQuery): Record<string, string> {
  const entries = Object.entries({
    company: query.company, from: query.from, to: query.to, closeMin: query.closeMin, closeMax: query.closeMax,
    volumeMin: query.volumeMin, pctMin: query.pctMin, pctMax: query.pctMax, sort: query.sort, dir: query.dir, size: query.size,
  }).filter(([, value]) => value !== undefined && value !== '');
  return Object.fromEntries(entries.map(([key, value]) => [key, String(value)]));
}

export default async function DataPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser();
  const page = await loadDataPage((await getServices()).pool, await searchParams);
  const { query } = page;
  const base = filtersOf(query);
  const href = (extra: Record<string, string>) => `/data?${new URLSearchParams({ ...base, ...extra })}`;
  // Sorting starts again from the first page (cursors belong to one order).
  const sortHref = (column: string) => href({ sort: column, dir: query.sort === column && query.dir === 'desc' ? 'asc' : 'desc' });
  return (
    <>
      <h1>Data</h1>
      <form className="toolbar" method="get" aria-label="Filters">
        <label>Company <input name="company" defaultValue={query.company ?? ''} placeholder="aapl, msft" /></label>
        <label>From <input name="from" type="date" defaultValue={query.from ?? ''} /></label>
        <label>To <input name="to" type="date" defaultValue={query.to ?? ''} /></label>
        <label>Close ≥ <input name="closeMin" inputMode="decimal" defaultValue={query.closeMin ?? ''} /></label>
        <label>Close ≤ <input name="closeMax" inputMode="decimal" defaultValue={query.closeMax ?? ''} /></label>
        <label>Volume ≥ <input name="volumeMin" inputMode="numeric" defaultValue={query.volumeMin ?? ''} /></label>
        <label>% change ≥ <input name="pctMin" inputMode="decimal" defaultValue={query.pctMin ?? ''} /></label>
        <label>% change ≤ <input name="pctMax" inputMode="decimal" defaultValue={query.pctMax ?? ''} /></label>
        <label>Rows <select name="size" defaultValue={String(query.size)}>{[50, 100, 500].map((size) => <option key={size}>{size}</option>)}</select></label>
        <input type="hidden" name="sort" value={query.sort} />
        <input type="hidden" name="dir" value={query.dir} />
        <button type="submit" className="primary">Apply</button>
        <Link href="/data">Reset</Link>
        <a href={`/api/data/export?${new URLSearchParams(base)}`} download>Export CSV</a>
      </form>
      <p className="muted" data-testid="data-total">
        {page.total.isEstimate ? 'About ' : ''}{formatNumber(page.total.value)}{page.total.isEstimate && page.total.value >= 10000 ? '+' : ''} rows
        {page.total.isEstimate && <> · <Link href={href({ count: 'exact' })}>exact count</Link></>} · {page.elapsedMs} ms
      </p>
      {page.rows.length === 0 ? <div className="empty">No rows match these filters.</div> : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                {TABLE_COLUMNS.map((column) => (
                  <th key={column} className={NUMERIC.has(column) ? 'num' : undefined} aria-sort={query.sort === column ? (query.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                    <Link href={sortHref(column)}>{column}{query.sort === column ? (query.dir === 'asc' ? ' ▲' : ' ▼') : ''}</Link>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {page.rows.map((row) => (
                <tr key={`${row.company_name}:${row.stock_date}`}>
                  {TABLE_COLUMNS.map((column) => (
                    <td key={column} className={NUMERIC.has(column) ? 'num' : undefined}>
                      {column === 'company_name' ? <Link href={`/companies/${encodeURIComponent(row.company_name)}`}>{row.company_name}</Link> : row[column] ?? '–'}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        <Link href={href({})}>First</Link>
        {page.prevCursor && <Link href={href({ before: page.prevCursor })} rel="prev">← Previous</Link>}
        {page.nextCursor && <Link href={href({ after: page.nextCursor })} rel="next">Next →</Link>}
      </nav>
    </>
  );
}
