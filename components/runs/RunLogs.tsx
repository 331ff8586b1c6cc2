'use client';
import type { RunDetail } from '@/server/read-models/run-detail';

import { LogViewer } from './LogViewer';
import styles from './runs.module.css';
import { shardLabel, type ShownStep, stepTitle } from './step-view';

/** A tab per started step (a sharded step: one tab, and a shard picker), and the chosen step's or shard's log. */
export function RunLogs({ detail, shown, onSelect }: { detail: RunDetail; shown: ShownStep | null; onSelect: (key: string) => void }) {
  const group = shown?.group ?? null;
  return (
    <section aria-labelledby="run-logs-heading">
      <h2 id="run-logs-heading">Logs</h2>
      <div className="tabs" role="tablist" aria-label="Step logs">
        {detail.steps.map((step) => (
          <button key={step.key} role="tab" aria-selected={step.key === group?.key} onClick={() => onSelect(step.key)}>
            {stepTitle(step)}
          </button>
        ))}
      </div>
      {group && group.shards.length > 0 && (
        <label className={styles.shardPicker}>
          Shard
          <select aria-label="Shard" value={shown!.key} onChange={(event) => onSelect(event.target.value)}>
            {group.shards.map((shard) => (
              <option key={shard.key} value={shard.key}>
                {shardLabel(shard)} · {shard.state.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
      )}
      {shown ? <LogViewer runId={detail.run.id} step={shown.key} tries={detail.tries[shown.key] ?? []} live={!detail.isFinished} /> : <div className="empty">No step has started yet.</div>}
    </section>
  );
}
