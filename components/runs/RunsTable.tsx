'use client';
import Link from 'next/link';
import { useActionState, useState } from 'react';

import { type ActionResult, cancelRuns } from '@/app/(panel)/runs/actions';
import { paths } from '@/components/shared/paths';
import type { RunsListRow } from '@/server/read-models/runs-list';

import { formatDuration, formatNumber, formatTime } from './format';
import styles from './runs.module.css';
import { StatusBadge } from './StatusBadge';

/** The runs as a table; operators tick queued or running runs and cancel them in one go. */
export function RunsTable({ rows, asOf, canOperate }: { rows: RunsListRow[]; asOf: string; canOperate: boolean }) {
  // Running runs' durations run up to the moment the server read them: the same text on both sides of hydration.
  const now = Date.parse(asOf);
  const [state, action, pending] = useActionState<ActionResult, FormData>(cancelRuns, { ok: true, message: null });
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const cancellable = rows.filter((row) => row.isCancellable).map((row) => row.id);
  // The page refreshes while runs go on: a run that finished meanwhile is no longer selectable.
  const selected = cancellable.filter((id) => picked.has(id));
  const toggle = (id: string, on: boolean) =>
    setPicked((previous) => {
      const next = new Set(previous);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const selectable = canOperate && cancellable.length > 0;
  return (
    <form
      action={action}
      aria-label="Runs"
      onSubmit={(event) => {
        if (!window.confirm(`Cancel ${selected.length} run${selected.length === 1 ? '' : 's'}?`)) event.preventDefault();
      }}
    >
      {selectable && (
        <div className={styles.bulkBar}>
          <button type="submit" className="danger" disabled={pending || selected.length === 0}>
            {pending ? 'Cancelling…' : `Cancel selected (${selected.length})`}
          </button>
          <span className="muted">Queued runs are cancelled at once; running ones are asked to stop.</span>
        </div>
      )}
      {state.message && (
        <p role="status" className={state.ok ? 'notice' : 'error'}>
          {state.message}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              {selectable && (
                <th>
                  <input
                    type="checkbox"
                    aria-label="Select every queued or running run"
                    checked={selected.length === cancellable.length}
                    onChange={(event) => setPicked(new Set(event.target.checked ? cancellable : []))}
                  />
                </th>
              )}
              <th>Run</th>
              <th>Status</th>
              <th>Trigger</th>
              <th>Queued</th>
              <th className="num">Duration</th>
              <th className="num">Rows loaded</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => (
              <tr key={run.id}>
                {selectable && (
                  <td>
                    {run.isCancellable && (
                      <input type="checkbox" name="runId" value={run.id} aria-label={`Select run ${run.id}`} checked={picked.has(run.id)} onChange={(event) => toggle(run.id, event.target.checked)} />
                    )}
                  </td>
                )}
                <td>
                  <Link href={paths.run(run.id)} className={styles.runId} title={run.id}>
                    {run.id}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>
                  <span className={styles.trigger} title={`${run.trigger.kind} by ${run.trigger.by}`}>
                    {run.trigger.kind} <span className="muted">by {run.trigger.by}</span>
                  </span>
                </td>
                <td>{formatTime(run.queuedAt)}</td>
                <td className="num">{formatDuration(run.startedAt, run.finishedAt, now)}</td>
                <td className="num">{formatNumber(run.rowsLoaded)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </form>
  );
}
