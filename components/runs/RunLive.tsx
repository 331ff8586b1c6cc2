'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, useTransition } from 'react';
import type { RunDetail } from '@/server/read-models/run-detail';
import { cancelRun, retryRun } from '@/app/(panel)/runs/actions';
import { runKeys } from './data/keys';
import { useRunDetail } from './data/useRunDetail';
import { formatDuration, formatNumber, formatTime } from './format';
import { LogViewer } from './LogViewer';
import { DataChanges } from './DataChanges';
import type { RunSummary } from '@/server/pipeline/summary';
import { RunTimeline } from './RunTimeline';
import { StatusBadge } from './StatusBadge';

export function RunLive({ initial, canOperate }: { initial: RunDetail; canOperate: boolean }) {
  const { data, error } = useRunDetail(initial.run.id, initial);
  const detail = data ?? initial;
  const { run, tasks } = detail;
  const [step, setStep] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const queryClient = useQueryClient();
  // Durations tick every second while the run goes on, even when a poll brings nothing new. The
  // clock starts after hydration: the server's Date.now() and the browser's differ (React #418).
  const [clock, setClock] = useState<number | null>(null);
  useEffect(() => {
    setClock(Date.now());
    if (detail.isFinished) return;
    const timer = setInterval(() => setClock(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [detail.isFinished]);
  const now = clock ?? Date.parse(run.finishedAt ?? run.startedAt ?? run.queuedAt);
  // The step that needs looking at: the one running, else the one that failed, else the last.
  const shownStep = step ?? tasks.find((task) => task.status === 'running')?.step ?? tasks.find((task) => task.status === 'failed')?.step ?? tasks.at(-1)?.step ?? null;
  const summary = run.summary as { rows?: { read: number; loaded: number; rejected: number }; files?: { found: number } } | null;

  const act = (action: (id: string) => Promise<{ ok: boolean; message: string | null }>, confirmText: string) => {
    if (!window.confirm(confirmText)) return;
    startTransition(async () => {
      const result = await action(run.id);
      setMessage({ ok: result.ok, text: result.message ?? '' });
      await queryClient.invalidateQueries({ queryKey: runKeys.detail(run.id) });
    });
  };

  return (
    <>
      <div className="row">
        <h1 style={{ margin: 0 }}>Run {run.id}</h1>
        <StatusBadge status={run.status} />
        {canOperate && detail.isCancellable && <button className="danger" disabled={pending} onClick={() => act(cancelRun, `Cancel run ${run.id}?`)}>Cancel</button>}
        {canOperate && detail.isRetryable && <button className="primary" disabled={pending} onClick={() => act(retryRun, `Run the failed steps of ${run.id} again?`)}>Retry</button>}
      </div>
      {message && <p role="status" className={message.ok ? 'notice' : 'error'}>{message.text}</p>}
      {error && <p className="error" role="alert">Live updates paused: {error.message}</p>}
      <div className="cards" style={{ marginTop: '1rem' }}>
        <div className="card"><div className="label">Trigger</div><div className="value" style={{ fontSize: '1rem' }}>{run.trigger.kind} by {run.trigger.by}</div></div>
        <div className="card"><div className="label">Started</div><div className="value" style={{ fontSize: '1rem' }}>{formatTime(run.startedAt ?? run.queuedAt)}</div></div>
        <div className="card"><div className="label">Duration</div><div className="value">{formatDuration(run.startedAt, run.finishedAt, now)}</div></div>
        <div className="card"><div className="label">Rows read / loaded / rejected</div><div className="value" style={{ fontSize: '1rem' }}>{summary?.rows ? `${formatNumber(summary.rows.read)} / ${formatNumber(summary.rows.loaded)} / ${formatNumber(summary.rows.rejected)}` : '–'}</div></div>
      </div>
      {run.error && <p className="error" role="alert" style={{ marginTop: '0.75rem' }}>{run.error}</p>}
      <h2>Steps</h2>
      <RunTimeline tasks={tasks} runStatus={run.status} startedAt={run.startedAt} finishedAt={run.finishedAt} now={now} />
      {summary && 'loadMode' in summary && <DataChanges summary={summary as RunSummary} />}
      <h2>Logs</h2>
      <div className="tabs" role="tablist" aria-label="Step logs">
        {tasks.map((task) => (
          <button key={task.step} role="tab" aria-selected={task.step === shownStep} onClick={() => setStep(task.step)}>
            {task.step}
          </button>
        ))}
      </div>
      {shownStep ? <LogViewer runId={run.id} step={shownStep} live={!detail.isFinished} /> : <div className="empty">No step has started yet.</div>}
      {detail.rejects && (
        <>
          <h2>Rejected rows</h2>
          {detail.rejects.count === 0 ? (
            <p className="muted">No rows were rejected.</p>
          ) : (
            <>
              <p>
                {formatNumber(detail.rejects.count)} rows rejected. <a href={`/api/runs/${encodeURIComponent(run.id)}/rejects`}>Download rejects.csv</a>
              </p>
              <div className="table-wrap">
                <table>
                  <thead><tr><th>File</th><th className="num">Line</th><th>Reason</th><th>Row</th></tr></thead>
                  <tbody>
                    {detail.rejects.first.map((reject) => (
                      <tr key={`${reject.file}:${reject.line}`}><td>{reject.file}</td><td className="num">{reject.line}</td><td>{reject.reason}</td><td><code>{reject.raw}</code></td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      )}
    </>
  );
}
