import Link from 'next/link';
import { calendarDaySchema } from '@/server/util/calendar-day';
import { z } from 'zod';
import { RUN_STATUSES } from '@/server/ports/orchestrator';
import { StatusBadge } from '@/components/runs/StatusBadge';
import { TriggerForm } from '@/components/runs/TriggerForm';
import { AutoRefresh } from '@/components/shared/AutoRefresh';
import { formatDuration, formatNumber, formatTime } from '@/components/runs/format';
import { hasRole } from '@/server/auth/roles';
import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

const searchSchema = z.object({
  status: z.enum(RUN_STATUSES).optional().catch(undefined),
  before: z.string().regex(/^\d+$/).optional().catch(undefined),
  from: calendarDaySchema.optional().catch(undefined),
  to: calendarDaySchema.optional().catch(undefined),
});

export default async function RunsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await requireUser();
  const query = searchSchema.parse(await searchParams);
  const page = await (await getServices()).orchestrator.listRuns({ limit: 25, status: query.status, before: query.before ?? null, from: query.from, to: query.to });
  const dates = { ...(query.from ? { from: query.from } : {}), ...(query.to ? { to: query.to } : {}) };
  const statusHref = (status?: string) => `/runs?${new URLSearchParams({ ...dates, ...(status ? { status } : {}) })}`;
  return (
    <>
      <h1>Runs</h1>
      <AutoRefresh active={page.runs.some((run) => run.status === 'queued' || run.status === 'running')} />
      {hasRole(user.role, 'operator') && <TriggerForm />}
      <form className="toolbar" method="get" aria-label="Filter by date">
        {query.status && <input type="hidden" name="status" value={query.status} />}
        <label>Queued from <input type="date" name="from" defaultValue={query.from ?? ''} /></label>
        <label>to <input type="date" name="to" defaultValue={query.to ?? ''} /></label>
        <button type="submit">Filter</button>
      </form>
      <div className="tabs" role="group" aria-label="Filter by status">
        {/* Links styled as tabs: one tab stop each (a button inside a link was two). */}
        <Link href={statusHref()} className="tab" aria-current={!query.status ? 'page' : undefined}>All</Link>
        {RUN_STATUSES.map((status) => (
          <Link key={status} href={statusHref(status)} className="tab" aria-current={query.status === status ? 'page' : undefined}>{status}</Link>
        ))}
      </div>
      {page.runs.length === 0 ? (
        <div className="empty">No runs{query.status ? ` with status ${query.status}` : ''} yet. Trigger one, or drop a .SUCCESS file into the monitored bucket.</div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr><th>Run</th><th>Status</th><th>Trigger</th><th>Queued</th><th className="num">Duration</th><th className="num">Rows loaded</th></tr>
            </thead>
            <tbody>
              {page.runs.map((run) => (
                <tr key={run.id}>
                  <td><Link href={`/runs/${encodeURIComponent(run.id)}`}>{run.id}</Link></td>
                  <td><StatusBadge status={run.status} /></td>
                  <td>{run.trigger.kind} <span className="muted">by {run.trigger.by}</span></td>
                  <td>{formatTime(run.queuedAt)}</td>
                  <td className="num">{formatDuration(run.startedAt, run.finishedAt)}</td>
                  <td className="num">{formatNumber((run.summary as { rows?: { loaded?: number } } | null)?.rows?.loaded)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        {query.before && <Link href={statusHref(query.status)}>Newest</Link>}
        {page.nextCursor && <Link href={`/runs?${new URLSearchParams({ ...dates, ...(query.status ? { status: query.status } : {}), before: page.nextCursor })}`}>Older runs →</Link>}
      </div>
    </>
  );
}
