import type { GridCellState } from '@/server/read-models/runs-list';

/** Every state a grid cell can show, in the legend's order, with the words for it. */
export const GRID_STATES: { state: GridCellState; label: string }[] = [
  { state: 'success', label: 'success' },
  { state: 'failed', label: 'failed' },
  { state: 'running', label: 'running' },
  { state: 'up_for_retry', label: 'up for retry' },
  { state: 'queued', label: 'queued' },
  { state: 'waiting', label: 'waiting' },
  { state: 'skipped', label: 'skipped' },
  { state: 'cancelled', label: 'cancelled' },
  { state: 'not_run', label: 'not run' },
];

export function gridStateLabel(state: GridCellState): string {
  return GRID_STATES.find((entry) => entry.state === state)?.label ?? state;
}
