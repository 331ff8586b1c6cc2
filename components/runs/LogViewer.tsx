'use client';
import { useEffect, useRef, useState } from 'react';
import type { LogLine, LogPage } from '@/server/ports/orchestrator';

// The viewer keeps at most this many lines: a 100,000-line log never freezes the tab.
const MAX_LINES = 5000;
const TAIL_LINES = 1000;

/** Follows one step's log: opens at its tail, then asks only for lines after the last one seen. */
export function LogViewer({ runId, step, live }: { runId: string; step: string; live: boolean }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [truncated, setTruncated] = useState(false);
  const cursor = useRef<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    cursor.current = null;
    setLines([]);
    setTruncated(false);
    const poll = async (): Promise<void> => {
      if (stopped) return;
      let complete = false;
      if (document.visibilityState === 'visible') {
        try {
          const query = cursor.current ? `after=${encodeURIComponent(cursor.current)}` : `tail=${TAIL_LINES}`;
          const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/logs?step=${step}&${query}`, { cache: 'no-store' });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const page = (await response.json()) as LogPage;
          if (stopped) return;
          if (!cursor.current && page.lines.length >= TAIL_LINES) setTruncated(true);
          cursor.current = page.cursor;
          complete = page.complete;
          if (page.lines.length > 0) {
            setLines((previous) => {
              const next = previous.concat(page.lines);
              if (next.length > MAX_LINES) setTruncated(true);
              return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
            });
          }
          setError(null);
          if (page.lines.length >= 2000) return void poll();
        } catch (failure) {
          setError(failure instanceof Error ? failure.message : String(failure));
        }
      }
      if (!complete || live) timer = setTimeout(poll, complete ? 3000 : 1000);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [runId, step, live]);

  useEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return (
    <div>
      {truncated && <p className="muted">Showing the latest lines only. The full log: <code>stockflow logs {runId} --step {step}</code></p>}
      {error && <p className="error" role="alert">Log unavailable: {error}</p>}
      <div
        className="log"
        ref={box}
        role="log"
        aria-live="polite"
        aria-label={`${step} log`}
        tabIndex={0}
        onScroll={(event) => {
          const target = event.currentTarget;
          stick.current = target.scrollHeight - target.scrollTop - target.clientHeight < 40;
        }}
      >
        {lines.length === 0 ? <span className="muted">No log lines yet.</span> : lines.map((line) => (
          <div key={line.id} className={`lvl-${line.level}`}>
            {line.at.slice(11, 19)} {line.level.toUpperCase().padEnd(5)} {line.message}
          </div>
        ))}
      </div>
    </div>
  );
}
