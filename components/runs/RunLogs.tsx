'use client';
import { useState } from 'react';

import type { RunDetail } from '@/server/read-models/run-detail';

import { LogViewer } from './LogViewer';

/** The step that needs looking at: the one running, else the one that failed, else the last. */
function stepToShow(detail: RunDetail): string | null {
  const { tasks } = detail;
  return tasks.find((task) => task.status === 'running')?.step ?? tasks.find((task) => task.status === 'failed')?.step ?? tasks.at(-1)?.step ?? null;
}

/** A tab per started step, and the chosen step's log. */
export function RunLogs({ detail, initialStep }: { detail: RunDetail; initialStep: string | null }) {
  const [picked, setPicked] = useState<string | null>(initialStep);
  const shown = picked && detail.tasks.some((task) => task.step === picked) ? picked : stepToShow(detail);
  return (
    <section aria-labelledby="run-logs-heading">
      <h2 id="run-logs-heading">Logs</h2>
      <div className="tabs" role="tablist" aria-label="Step logs">
        {detail.tasks.map((task) => (
          <button key={task.step} role="tab" aria-selected={task.step === shown} onClick={() => setPicked(task.step)}>
            {task.step}
          </button>
        ))}
      </div>
      {shown ? <LogViewer runId={detail.run.id} step={shown} tries={detail.tries[shown] ?? []} live={!detail.isFinished} /> : <div className="empty">No step has started yet.</div>}
    </section>
  );
}
