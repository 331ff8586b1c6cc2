'use client';
import { useEffect, useState } from 'react';

import { paths } from '@/components/shared/paths';
import type { RunDetail } from '@/server/read-models/run-detail';

import { useRunDetail } from './data/useRunDetail';
import { DataChanges } from './DataChanges';
import { RunConf } from './RunConf';
import { RunFacts } from './RunFacts';
import { RunHeader } from './RunHeader';
import { RunLogs } from './RunLogs';
import { RunRejects } from './RunRejects';
import { RunTimeline } from './RunTimeline';
import { resolveStep } from './step-view';

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
  const { run } = detail;
  const now = useClock(detail);
  // The step (or shard) picked in the timeline or the log tabs; kept in the URL's ?step= so a reload or a shared link shows it.
  const [picked, setPicked] = useState<string | null>(initialStep);
  const shown = resolveStep(detail.steps, picked);
  const select = (key: string): void => {
    setPicked(key);
    window.history.replaceState(null, '', paths.run(run.id, key));
  };
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
      <RunTimeline steps={detail.steps} runStatus={run.status} startedAt={run.startedAt} finishedAt={run.finishedAt} now={now} shownKey={shown?.key ?? null} onSelect={select} />
      {detail.dataChanges && <DataChanges summary={detail.dataChanges} />}
      <RunLogs detail={detail} shown={shown} onSelect={select} />
      <RunConf detail={detail} canOperate={canOperate} />
      {detail.rejects && <RunRejects runId={run.id} rejects={detail.rejects} />}
    </>
  );
}
