import Link from 'next/link';

import { MarkersFilters } from '@/components/markers/MarkersFilters';
import { MarkersHelp } from '@/components/markers/MarkersHelp';
import { MarkersTable } from '@/components/markers/MarkersTable';
import { AutoRefresh } from '@/components/shared/AutoRefresh';
import { paths } from '@/components/shared/paths';
import { loadMarkersSeen } from '@/server/read-models/markers-seen';

import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function MarkersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireUser();
  const page = await loadMarkersSeen((await getServices()).pool, await searchParams);
  const { decision, bucket, before } = page.query;
  const filters = { ...(decision ? { decision } : {}), ...(bucket ? { bucket } : {}) };
  return (
    <>
      <h1>Markers seen</h1>
      <AutoRefresh active={false} />
      <MarkersHelp />
      <MarkersFilters decision={decision} bucket={bucket} buckets={page.buckets} problems={page.problems} />
      {page.entries.length === 0 ? (
        <div className="empty">No markers seen{decision || bucket ? ' for these filters' : ' yet'}. Drop a .SUCCESS file into the monitored bucket, or send an S3 event.</div>
      ) : (
        <MarkersTable entries={page.entries} />
      )}
      <nav className="pager" aria-label="Pages">
        {before && <Link href={paths.markers(filters)}>Newest</Link>}
        {page.nextCursor && (
          <Link href={paths.markers({ ...filters, before: page.nextCursor })} rel="next">
            Older →
          </Link>
        )}
      </nav>
    </>
  );
}
