'use client';
import { useQuery } from '@tanstack/react-query';

import { paths } from '@/components/shared/paths';
import type { RunDetail } from '@/server/read-models/run-detail';

import { runKeys } from './keys';

export async function fetchRunDetail(runId: string): Promise<RunDetail> {
  const response = await fetch(paths.api.run(runId), { cache: 'no-store' });
  if (!response.ok) throw new Error(`Could not load run ${runId} (HTTP ${response.status})`);
  return (await response.json()) as RunDetail;
}

/** Polls the run every second while it is unfinished and the tab is visible. */
export function useRunDetail(runId: string, initial: RunDetail) {
  return useQuery({
    queryKey: runKeys.detail(runId),
    queryFn: () => fetchRunDetail(runId),
    initialData: initial,
    refetchInterval: (query) => (query.state.data?.isFinished ? false : 1000),
    refetchIntervalInBackground: false,
  });
}
