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

/** One filter: the value the query understood, or what was typed with the problem beside it. */
function FilterInput({ label, name, query, raw, problems, type, inputMode, placeholder }: {
  label: string; name: string; query: string | number | undefined; raw: Record<string, string | undefined>; problems: Record<string, string>;
  type?: string; inputMode?: 'decimal' | 'numeric'; placeholder?: string;
}) {
  const problem = problems[name];
  return (
    <label>
      {label}{' '}
      <input name={name} type={type} inputMode={inputMode} placeholder={placeholder} defaultValue={problem ? (raw[name] ?? '') : (query ?? '')}
        aria-invalid={problem ? true : undefined} aria-describedby={problem ? `${name}-problem` : undefined} />
      {problem && <span id={`${name}-problem`} role="alert" className="field-error">{problem} — not applied</span>}
    </label>
  );
}

export default async function DataPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser();
  const raw = await searchParams;
  const page = await loadDataPage((await getServices()).pool, raw);
  const { query } = page;
  const base = filtersOf(query);
  const href = (extra: Record<string, string>) => `/data?${new URLSearchParams({ ...base, ...extra })}`;
  // Sorting starts again from the first page (cursors belong to one order).
  const sortHref = (column: string) => href({ sort: column, dir: query.sort === column && query.dir === 'desc' ? 'asc' : 'desc' });
  return (
    <>
      <h1>Data</h1>
      <form className="toolbar" method="get" aria-label="Filters">
        <FilterInput label="Company" name="company" query={query.company} raw={raw} problems={page.problems} placeholder="aapl, msft" />
        <FilterInput label="From" name="from" type="date" query={query.from} raw={raw} problems={page.problems} />
        <FilterInput label="To" name="to" type="date" query={query.to} raw={raw} problems={page.problems} />
        <FilterInput label="Close ≥" name="closeMin" inputMode="decimal" query={query.closeMin} raw={raw} problems={page.problems} />
        <FilterInput label="Close ≤" name="closeMax" inputMode="decimal" query={query.closeMax} raw={raw} problems={page.problems} />
        <FilterInput label="Volume ≥" name="volumeMin" inputMode="numeric" query={query.volumeMin} raw={raw} problems={page.problems} />
        <FilterInput label="% change ≥" name="pctMin" inputMode="decimal" query={query.pctMin} raw={raw} problems={page.problems} />
        <FilterInput label="% change ≤" name="pctMax" inputMode="decimal" query={query.pctMax} raw={raw} problems={page.problems} />
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
