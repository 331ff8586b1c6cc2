import type { LogSelection } from './fetchLogPage';

/** Query keys for run data (one factory, so refreshes never hand-list keys). */
export const runKeys = {
  all: ['runs'] as const,
  detail: (runId: string) => ['runs', runId] as const,
  logs: (runId: string) => ['runs', runId, 'log'] as const,
  logPage: (runId: string, selection: LogSelection, cursor: string | null) => ['runs', runId, 'log', selection, cursor] as const,
};
