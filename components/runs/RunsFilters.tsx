import Link from 'next/link';

import { paths } from '@/components/shared/paths';
import { RUN_STATUSES } from '@/server/ports/orchestrator';
import type { RunsList } from '@/server/read-models/runs-list';

import styles from './runs.module.css';

function FieldError({ id, label, message }: { id: string; label: string; message: string | undefined }) {
  return message ? (
    <span id={id} className="field-error" role="alert">
      {label}: {message}. It is ignored.
    </span>
  ) : null;
}

/** The date range and status filters; a bad value in the URL is named next to its field, the rest still filters. */
export function RunsFilters({ filters, errors, raw }: Pick<RunsList, 'filters' | 'errors'> & { raw: Record<string, string | undefined> }) {
  const dates = { ...(filters.from ? { from: filters.from } : {}), ...(filters.to ? { to: filters.to } : {}) };
  const statusHref = (status?: string) => paths.runs({ ...dates, ...(status ? { status } : {}) });
  return (
    <>
      <form className="toolbar" method="get" aria-label="Filter by date">
        {filters.status && <input type="hidden" name="status" value={filters.status} />}
        <div className={styles.field}>
          <label>
            Queued from
            <input type="date" name="from" defaultValue={filters.from ?? ''} aria-invalid={errors.from ? true : undefined} aria-describedby={errors.from ? 'runs-from-error' : undefined} />
          </label>
          <FieldError id="runs-from-error" label={`Queued from "${raw.from ?? ''}"`} message={errors.from} />
        </div>
        <div className={styles.field}>
          <label>
            to
            <input type="date" name="to" defaultValue={filters.to ?? ''} aria-invalid={errors.to ? true : undefined} aria-describedby={errors.to ? 'runs-to-error' : undefined} />
          </label>
          <FieldError id="runs-to-error" label={`to "${raw.to ?? ''}"`} message={errors.to} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <div className="tabs" role="group" aria-label="Filter by status">
        {/* Links styled as tabs: one tab stop each (a button inside a link was two). */}
        <Link href={statusHref()} className="tab" aria-current={!filters.status ? 'page' : undefined}>
          All
        </Link>
        {RUN_STATUSES.map((status) => (
          <Link key={status} href={statusHref(status)} className="tab" aria-current={filters.status === status ? 'page' : undefined}>
            {status}
          </Link>
        ))}
      </div>
      <FieldError id="runs-status-error" label={`Status "${raw.status ?? ''}"`} message={errors.status} />
      <FieldError id="runs-before-error" label="Page" message={errors.before} />
    </>
  );
}
