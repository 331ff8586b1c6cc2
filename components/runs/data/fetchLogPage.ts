import type { FilteredLogPage } from '@/app/api/runs/[runId]/logs/log-query';
import { paths } from '@/components/shared/paths';

/** Which lines of a run's log the viewer shows. */
export interface LogSelection {
  step: string;
  /** null: every try. */
  tryNumber: number | null;
  /** The lowest level shown; null: every level. */
  level: 'info' | 'warn' | 'error' | null;
  /** Only lines containing this text (searched on the server over the whole log). */
  search: string;
}

function selectionParams(selection: LogSelection): URLSearchParams {
  const params = new URLSearchParams({ step: selection.step });
  if (selection.tryNumber !== null) params.set('try', String(selection.tryNumber));
  if (selection.level) params.set('level', selection.level);
  if (selection.search.trim()) params.set('q', selection.search.trim());
  return params;
}

/** The whole log of the step (and try) as a text file; level and search do not cut the download. */
export function logDownloadUrl(runId: string, selection: LogSelection): string {
  const params = new URLSearchParams({ step: selection.step });
  if (selection.tryNumber !== null) params.set('try', String(selection.tryNumber));
  return paths.api.runLogDownload(runId, params);
}

/** The lines after `cursor`, or the last `tail` lines when there is no cursor yet. */
export async function fetchLogPage(runId: string, selection: LogSelection, cursor: string | null, tail: number): Promise<FilteredLogPage> {
  const params = selectionParams(selection);
  if (cursor) params.set('after', cursor);
  else params.set('tail', String(tail));
  const response = await fetch(paths.api.runLogs(runId, params), { cache: 'no-store' });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new Error(body?.error ?? `HTTP ${response.status}`);
  }
  return (await response.json()) as FilteredLogPage;
}
