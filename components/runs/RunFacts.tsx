import type { RunDetail } from '@/server/read-models/run-detail';

import { formatDuration, formatNumber, formatTime } from './format';
import styles from './runs.module.css';

function Fact({ label, children, large = false }: { label: string; children: React.ReactNode; large?: boolean }) {
  return (
    <div className="card">
      <div className="label">{label}</div>
      <div className={large ? 'value' : `value ${styles.factValue}`}>{children}</div>
    </div>
  );
}

/** Who started the run, when, how long it took and what it moved. */
export function RunFacts({ detail, now }: { detail: RunDetail; now: number }) {
  const { run, rows } = detail;
  return (
    <div className="cards" style={{ marginTop: '1rem' }}>
      <Fact label="Trigger">
        <span data-testid="run-trigger" className={styles.clamp} title={`${run.trigger.kind} by ${run.trigger.by}`}>
          {run.trigger.kind} by {run.trigger.by}
        </span>
      </Fact>
      <Fact label="Queued">{formatTime(run.queuedAt)}</Fact>
      <Fact label="Started">{formatTime(run.startedAt)}</Fact>
      <Fact label="Duration" large>
        {formatDuration(run.startedAt, run.finishedAt, now)}
      </Fact>
      <Fact label="Rows read / loaded / rejected">{rows ? `${formatNumber(rows.read)} / ${formatNumber(rows.loaded)} / ${formatNumber(rows.rejected)}` : '–'}</Fact>
    </div>
  );
}
