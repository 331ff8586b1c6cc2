'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';

import type { LogLine } from '@/server/ports/orchestrator';

import { fetchLogPage, type LogSelection } from './fetchLogPage';
import { runKeys } from './keys';

// The viewer keeps at most this many lines: a 100,000-line log never freezes the tab.
const MAX_LINES = 5000;
const TAIL_LINES = 1000;
const PAGE_LINES = 2000;

export interface LogTail {
  lines: LogLine[];
  /** Older lines exist that the viewer does not hold. */
  truncated: boolean;
  /** With a search: how many lines of the whole log match. */
  matches: number | null;
  error: string | null;
  loading: boolean;
}

/**
 * Follows one step's log as selected: opens at its tail, then asks only for lines after the last one
 * seen, while the run goes on and the tab is visible.
 */
export function useLogTail(runId: string, selection: LogSelection, live: boolean): LogTail {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LogTail>({ lines: [], truncated: false, matches: null, error: null, loading: true });
  const cursor = useRef<string | null>(null);
  const { step, tryNumber, level, search } = selection;

  useEffect(() => {
    const current: LogSelection = { step, tryNumber, level, search };
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    cursor.current = null;
    setState({ lines: [], truncated: false, matches: null, error: null, loading: true });
    const poll = async (): Promise<void> => {
      if (stopped) return;
      let complete = false;
      if (document.visibilityState === 'visible') {
        try {
          const after = cursor.current;
          const page = await queryClient.fetchQuery({
            queryKey: runKeys.logPage(runId, current, after),
            queryFn: () => fetchLogPage(runId, current, after, TAIL_LINES),
            staleTime: 0,
            gcTime: 0,
            retry: false,
          });
          if (stopped) return;
          cursor.current = page.cursor;
          complete = page.complete;
          setState((previous) => {
            const joined = previous.lines.concat(page.lines);
            const opened = after === null;
            return {
              lines: joined.length > MAX_LINES ? joined.slice(joined.length - MAX_LINES) : joined,
              truncated: previous.truncated || joined.length > MAX_LINES || (opened && page.lines.length >= TAIL_LINES),
              matches: opened ? page.matches : previous.matches === null ? null : previous.matches + page.lines.length,
              error: null,
              loading: false,
            };
          });
          if (page.lines.length >= PAGE_LINES) return void poll();
        } catch (failure) {
          setState((previous) => ({ ...previous, loading: false, error: failure instanceof Error ? failure.message : String(failure) }));
        }
      }
      if (!complete || live) timer = setTimeout(poll, complete ? 3000 : 1000);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [queryClient, runId, step, tryNumber, level, search, live]);

  return state;
}
