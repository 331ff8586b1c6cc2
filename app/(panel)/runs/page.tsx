import Link from 'next/link';

import { RunsDurationTrend } from '@/components/runs/RunsDurationTrend';
import { RunsFilters } from '@/components/runs/RunsFilters';
import { RunsGrid } from '@/components/runs/RunsGrid';
import { RunsTable } from '@/components/runs/RunsTable';
import { TriggerForm } from '@/components/runs/TriggerForm';
import { AutoRefresh } from '@/components/shared/AutoRefresh';
import { paths } from '@/components/shared/paths';
import { hasRole } from '@/server/auth/roles';
import { loadRunsList } from '@/server/read-models/runs-list';

import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export default async function RunsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  const search = await searchParams;
  const list = await loadRunsList(await getServices(), search);
  const { filters } = list;
  const keep = { ...(filters.from ? { from: filters.from } : {}), ...(filters.to ? { to: filters.to } : {}), ...(filters.status ? { status: filters.status } : {}) };
  return (
    <>
      <h1>Runs</h1>
      <AutoRefresh active={list.hasActive} />
      {hasRole(user.role, 'operator') && <TriggerForm />}
      <RunsFilters filters={filters} errors={list.errors} raw={{ from: first(search.from), to: first(search.to), status: first(search.status) }} />
      {list.rows.length === 0 ? (
        <div className="empty">No runs{filters.status ? ` with status ${filters.status}` : ''} yet. Trigger one, or drop a .SUCCESS file into the monitored bucket.</div>
      ) : (
        <>
          <RunsDurationTrend points={list.trend} />
          <RunsGrid grid={list.grid} />
          <h2>History</h2>
          <RunsTable rows={list.rows} asOf={list.asOf} canOperate={hasRole(user.role, 'operator')} />
        </>
      )}
      <div className="pager">
        {filters.before && <Link href={paths.runs(keep)}>Newest</Link>}
        {list.nextCursor && <Link href={paths.runs({ ...keep, before: list.nextCursor })}>Older runs →</Link>}
      </div>
    </>
  );
}
