'use client';
import { useState } from 'react';

import type { RunStatus } from '@/server/ports/orchestrator';
import type { ShardView, StepGroupView } from '@/server/read-models/step-groups';

import { formatDuration, formatNumber } from './format';
import styles from './runs.module.css';
import { StatusBadge } from './StatusBadge';
import { shardLabel, shardStatesText, stepTitle } from './step-view';

type Span = Pick<ShardView, 'startedAt' | 'finishedAt' | 'progress' | 'state' | 'tryNumber' | 'error'>;

/** One bar on the run's time axis, with its duration, try and progress beside it. */
function Bar({ span, name, axis, now }: { span: Span; name: string; axis: { start: number; span: number }; now: number }) {
  const begin = span.startedAt ? Date.parse(span.startedAt) : now;
  const end = span.finishedAt ? Date.parse(span.finishedAt) : now;
  const left = ((begin - axis.start) / axis.span) * 100;
  const width = ((end - begin) / axis.span) * 100;
  const progress = span.progress.total > 0 ? ` ${formatNumber(span.progress.done)}/${formatNumber(span.progress.total)}` : '';
  return (
    <>
      <div className="timeline-track" title={`${name}: ${span.state.replace(/_/g, ' ')}${progress}${span.error ? ` — ${span.error}` : ''}`}>
        {span.startedAt && <div className={`timeline-bar bar-${span.state}`} style={{ left: `${left}%`, width: `${Math.max(width, 0.5)}%` }} />}
      </div>
      <span className="when muted">
        {formatDuration(span.startedAt, span.finishedAt, now)}
        {span.tryNumber && span.tryNumber > 1 ? ` · try ${span.tryNumber}` : ''}
        {progress}
      </span>
    </>
  );
}

/**
 * Steps as bars on one time axis (a small Gantt chart). A sharded step is one row summing its
 * shards up; its shards open underneath (Airflow's mapped task instances), each one's log a click away.
 */
export function RunTimeline(props: {
  steps: StepGroupView[];
  runStatus: RunStatus;
  startedAt: string | null;
  finishedAt: string | null;
  now: number;
  /** The step key whose log is shown (a shard's, for a sharded step). */
  shownKey: string | null;
  onSelect: (key: string) => void;
}) {
  const { steps, runStatus, startedAt, finishedAt, now, shownKey, onSelect } = props;
  // Which sharded steps the user opened or closed; untouched ones are open while one of their shards is shown.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const start = startedAt ? Date.parse(startedAt) : now;
  const end = Math.max(finishedAt ? Date.parse(finishedAt) : now, ...steps.map((step) => (step.finishedAt ? Date.parse(step.finishedAt) : now)));
  const axis = { start, span: Math.max(end - start, 1) };
  if (steps.length === 0) {
    const text = runStatus === 'cancelled' ? 'Cancelled before any step started.' : runStatus === 'failed' ? 'Failed before any step started.' : 'Waiting for the first step to start…';
    return <div className="empty">{text}</div>;
  }
  return (
    <div className="timeline" aria-label="Steps timeline">
      {steps.map((group) => {
        const sharded = group.shards.length > 0;
        const open = toggled[group.key] ?? group.shards.some((shard) => shard.key === shownKey);
        const shardsId = `shards-${group.key}`;
        return (
          <div key={group.key} className={styles.stepGroup}>
            <div className="timeline-row" data-step={group.step} data-status={group.state} data-shards={sharded ? group.shards.length : undefined}>
              <span>
                <strong>{group.step}</strong> <StatusBadge status={group.state} />
                {sharded && (
                  <button
                    type="button"
                    className={styles.shardToggle}
                    aria-expanded={open}
                    aria-controls={shardsId}
                    title={`${stepTitle(group)}: ${shardStatesText(group.shardStates)}`}
                    onClick={() => setToggled((previous) => ({ ...previous, [group.key]: !open }))}
                  >
                    {group.shards.length} shard{group.shards.length === 1 ? '' : 's'}
                  </button>
                )}
              </span>
              <Bar span={group} name={stepTitle(group)} axis={axis} now={now} />
            </div>
            {sharded && open && (
              <ul id={shardsId} className={styles.shardList} aria-label={`${group.step} shards`}>
                {group.shards.map((shard) => (
                  <li key={shard.key} className={`timeline-row ${styles.shardRow}`} data-step={shard.key} data-status={shard.state}>
                    <span>
                      <button
                        type="button"
                        className={styles.shardButton}
                        aria-pressed={shard.key === shownKey}
                        aria-label={`${group.step} ${shardLabel(shard)}: ${shard.state.replace(/_/g, ' ')}, show its log`}
                        onClick={() => onSelect(shard.key)}
                      >
                        {shard.index}/{shard.count}
                      </button>{' '}
                      <StatusBadge status={shard.state} />
                    </span>
                    <Bar span={shard} name={`${group.step} ${shardLabel(shard)}`} axis={axis} now={now} />
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </div>
  );
}
