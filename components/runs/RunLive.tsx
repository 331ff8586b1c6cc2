'use client';
import { useEffect, useState } from 'react';

import type { RunDetail } from '@/server/read-models/run-detail';

import { useRunDetail } from './data/useRunDetail';
import { DataChanges } from './DataChanges';
import { RunConf } from './RunConf';
import { RunFacts } from './RunFacts';
import { RunHeader } from './RunHeader';
import { RunLogs } from './RunLogs';
import { RunRejects } from './RunRejects';
import { RunTimeline } from './RunTimeline';

/** Durations tick every second while the run goes on, even when a poll brings nothing new. */
function useClock(detail: RunDetail): number {
  // The clock starts after hydration: the server's Date.now() and the browser's differ (React #418).
  const [clock, setClock] = useState<number | null>(null);
  useEffect(() => {
    // Set from timer callbacks (not the effect body), so React renders once per tick.
    const tick = (): void => setClock(Date.now());
    const first = setTimeout(tick, 0);
    const timer = detail.isFinished ? undefined : setInterval(tick, 1000);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [detail.isFinished]);
  const { run } = detail;
  return clock ?? Date.parse(run.finishedAt ?? run.startedAt ?? run.queuedAt);
}

/** The run page: polled while the run is unfinished, each part a component of its own. */
export function RunLive({ initial, canOperate, initialStep }: { initial: RunDetail; canOperate: boolean; initialStep: string | null }) {
  const { data, error } = useRunDetail(initial.run.id, initial);
  const detail = data ?? initial;
  const { run, tasks } = detail;
  const now = useClock(detail);
  return (
    <>
      <RunHeader detail={detail} canOperate={canOperate} />
      {error && (
        <p className="error" role="alert">
          Live updates paused: {error.message}
        </p>
      )}
      <RunFacts detail={detail} now={now} />
      {run.error && (
        <p className="error" role="alert" style={{ marginTop: '0.75rem' }}>
          {run.error}
        </p>
      )}
      <h2>Steps</h2>
      <RunTimeline tasks={tasks} runStatus={run.status} startedAt={run.startedAt} finishedAt={run.finishedAt} now={now} />
      {detail.dataChanges && <DataChanges summary={detail.dataChanges} />}
      <RunLogs detail={detail} initialStep={initialStep} />
      <RunConf detail={detail} canOperate={canOperate} />
      {detail.rejects && <RunRejects runId={run.id} rejects={detail.rejects} />}
    </>
  );
}
