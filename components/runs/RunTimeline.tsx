import type { RunStatus, TaskView } from '@/server/ports/orchestrator';

import { formatDuration, formatNumber } from './format';
import { StatusBadge } from './StatusBadge';

/** Steps as bars on one time axis (a small Gantt chart). */
export function RunTimeline({ tasks, runStatus, startedAt, finishedAt, now }: { tasks: TaskView[]; runStatus: RunStatus; startedAt: string | null; finishedAt: string | null; now: number }) {
  const start = startedAt ? Date.parse(startedAt) : now;
  const end = Math.max(finishedAt ? Date.parse(finishedAt) : now, ...tasks.map((task) => (task.finishedAt ? Date.parse(task.finishedAt) : now)));
  const span = Math.max(end - start, 1);
  if (tasks.length === 0) {
    const text = runStatus === 'cancelled' ? 'Cancelled before any step started.' : runStatus === 'failed' ? 'Failed before any step started.' : 'Waiting for the first step to start…';
    return <div className="empty">{text}</div>;
  }
  return (
    <div className="timeline" aria-label="Steps timeline">
      {tasks.map((task) => {
        const taskStart = task.startedAt ? Date.parse(task.startedAt) : now;
        const taskEnd = task.finishedAt ? Date.parse(task.finishedAt) : now;
        const left = ((taskStart - start) / span) * 100;
        const width = ((taskEnd - taskStart) / span) * 100;
        const progress = task.progress.total > 0 ? ` ${formatNumber(task.progress.done)}/${formatNumber(task.progress.total)}` : '';
        return (
          <div className="timeline-row" key={task.step} data-step={task.step} data-status={task.status}>
            <span>
              <strong>{task.step}</strong> <StatusBadge status={task.status} />
            </span>
            <div className="timeline-track" title={`${task.step}: ${task.status}${progress}${task.error ? ` — ${task.error}` : ''}`}>
              <div className={`timeline-bar bar-${task.status}`} style={{ left: `${left}%`, width: `${Math.max(width, 0.5)}%` }} />
            </div>
            <span className="when muted">
              {formatDuration(task.startedAt, task.finishedAt, now)}
              {task.tryNumber > 1 ? ` · try ${task.tryNumber}` : ''}
              {progress}
            </span>
          </div>
        );
      })}
    </div>
  );
}
