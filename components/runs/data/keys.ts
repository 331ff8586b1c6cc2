/** Query keys for run data (one factory, so refreshes never hand-list keys). */
export const runKeys = {
  all: ['runs'] as const,
  detail: (runId: string) => ['runs', runId] as const,
  log: (runId: string, step: string) => ['runs', runId, 'log', step] as const,
};
