import Link from 'next/link';

import { DataFilters } from '@/components/data/DataFilters';
import { DataTable } from '@/components/data/DataTable';
import { formatNumber } from '@/components/runs/format';
import { paths } from '@/components/shared/paths';
import { loadDataPage, queryParams } from '@/server/read-models/data-page';

import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function DataPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireUser();
  const raw = await searchParams;
  const page = await loadDataPage((await getServices()).pool, raw);
  const { query } = page;
  const base = queryParams(query);
  const href = (extra: Record<string, string>) => paths.data({ ...base, ...extra });
  // Paging past a jump starts from the cursor, so the jump is dropped from paging links.
  const { jump: _jump, ...paging } = base;
  const pageHref = (extra: Record<string, string>) => paths.data({ ...(page.jumpMode === 'position' ? paging : base), ...extra });
  // Sorting starts again from the first page (cursors belong to one order).
  const sortHref = (column: string) => href({ sort: column, dir: query.sort === column && query.dir === 'desc' ? 'asc' : 'desc' });
  return (
    <>
      <h1>Data</h1>
      <DataFilters page={page} raw={raw} exportHrefs={{ csv: paths.api.dataExport(base), gzip: paths.api.dataExport({ ...base, gzip: '1' }) }} />
      <p className="muted" data-testid="data-total">
        {page.total.isEstimate ? 'About ' : ''}
        {formatNumber(page.total.value)}
        {page.total.isEstimate && page.total.value >= 10000 ? '+' : ''} rows
        {page.total.isEstimate && (
          <>
            {' '}
            · <Link href={href({ count: 'exact' })}>exact count</Link>
          </>
        )}{' '}
        · {page.elapsedMs} ms
      </p>
      {page.rows.length === 0 ? <div className="empty">No rows match these filters.</div> : <DataTable page={page} sortHref={sortHref} />}
      <nav className="pager" aria-label="Pages">
        <Link href={pageHref({})}>First</Link>
        {page.prevCursor && (
          <Link href={pageHref({ before: page.prevCursor })} rel="prev">
            ← Previous
          </Link>
        )}
        {page.nextCursor && (
          <Link href={pageHref({ after: page.nextCursor })} rel="next">
            Next →
          </Link>
        )}
      </nav>
    </>
  );
}
