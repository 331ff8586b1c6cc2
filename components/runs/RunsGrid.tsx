import Link from 'next/link';

import { paths } from '@/components/shared/paths';
import type { RunsList } from '@/server/read-models/runs-list';

import { formatTime } from './format';
import { GRID_STATES, gridStateLabel } from './grid-states';
import { GridKeyboard } from './GridKeyboard';
import styles from './runs.module.css';
import { shardStatesText } from './step-view';

/** Runs × steps, a coloured cell per step's latest try (Airflow's grid view); oldest run on the left. */
export function RunsGrid({ grid }: { grid: RunsList['grid'] }) {
  if (grid.columns.length === 0) return null;
  // Each column's head is a bar as tall as the run was long (Airflow's grid), scaled to the longest.
  const longest = Math.max(1, ...grid.columns.map((column) => column.durationSeconds ?? 0));
  const barHeight = (seconds: number | null) => `${seconds === null ? 4 : Math.max(4, Math.round((seconds / longest) * 40))}px`;
  return (
    <section aria-labelledby="runs-grid-heading">
      <h2 id="runs-grid-heading">Grid</h2>
      <div className={styles.gridWrap}>
        <GridKeyboard>
          <table className={styles.grid} aria-label="Runs by step, oldest run first" aria-describedby="runs-grid-keys">
            <thead>
              <tr>
                <td />
                {grid.columns.map((column) => (
                  <th key={column.runId} scope="col" title={`${column.runId}: ${column.status}, queued ${formatTime(column.queuedAt)}`}>
                    <span
                      className={`${styles.runMark} ${styles[`state-${column.status}`]}`}
                      style={{ height: barHeight(column.durationSeconds) }}
                      aria-label={`run ${column.runId}: ${column.status}${column.durationSeconds === null ? '' : `, ${column.durationSeconds.toFixed(1)} s`}`}
                      role="img"
                    />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {grid.steps.map((step, row) => (
                <tr key={step}>
                  <th scope="row">{step}</th>
                  {grid.columns.map((column, col) => {
                    const cell = column.cells[row]!;
                    const name = `run ${column.runId}, ${step}: ${gridStateLabel(cell.state)}${cell.tryNumber && cell.tryNumber > 1 ? ` (try ${cell.tryNumber})` : ''}${cell.shards ? `, ${cell.shards.count} shards (${shardStatesText(cell.shards.states)})` : ''}`;
                    return (
                      <td key={column.runId} data-state={cell.state}>
                        <Link
                          href={paths.run(column.runId, step)}
                          className={`${styles.cell} ${styles[`state-${cell.state}`]}${cell.shards ? ` ${styles.sharded}` : ''}`}
                          aria-label={name}
                          title={name}
                          data-row={row}
                          data-col={col}
                          data-run={column.runId}
                          data-shards={cell.shards?.count}
                        />
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </GridKeyboard>
        <p id="runs-grid-keys" className={`muted ${styles.keysHint}`}>
          Arrow keys move between cells, Enter opens that step of that run.
        </p>
        <ul className={styles.legend} aria-label="Legend">
          {GRID_STATES.map((entry) => (
            <li key={entry.state}>
              <span className={`${styles.cell} ${styles[`state-${entry.state}`]}`} aria-hidden="true" /> {entry.label}
            </li>
          ))}
          <li>
            <span className={`${styles.cell} ${styles['state-success']} ${styles.sharded}`} aria-hidden="true" /> sharded step (all its shards summed up)
          </li>
        </ul>
      </div>
    </section>
  );
}
