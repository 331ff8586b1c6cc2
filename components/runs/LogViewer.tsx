'use client';
import { useEffect, useRef, useState } from 'react';

import { logDownloadUrl, type LogSelection } from './data/fetchLogPage';
import { useLogTail } from './data/useLogTail';
import { formatClock, formatNumber } from './format';
import { HighlightedText } from './HighlightedText';
import { LogToolbar } from './LogToolbar';
import styles from './runs.module.css';

/** One step's log: try picker, level filter, server-side search, download; follows the tail while the run goes on. */
export function LogViewer({ runId, step, tries, live }: { runId: string; step: string; tries: number[]; live: boolean }) {
  // null: the latest try (a retry that starts while the page is open is followed). A pick
  // belongs to its step: another step opens on its own latest try.
  const [picked, setPicked] = useState<{ step: string; value: number | 'all' } | null>(null);
  const pickedTry = picked?.step === step ? picked.value : null;
  const setPickedTry = (value: number | 'all'): void => setPicked({ step, value });
  const [level, setLevel] = useState<LogSelection['level']>(null);
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  useEffect(() => {
    // Each keystroke would be a query over the whole log: wait for a pause in typing.
    const timer = setTimeout(() => setSearch(typed.trim()), 300);
    return () => clearTimeout(timer);
  }, [typed]);

  const latest = tries.at(-1) ?? null;
  const tryNumber = pickedTry === 'all' ? null : (pickedTry ?? latest);
  const selection: LogSelection = { step, tryNumber, level, search };
  const { lines, truncated, matches, error, loading } = useLogTail(runId, selection, live);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return (
    <div>
      <LogToolbar
        tries={tries}
        tryValue={pickedTry === 'all' ? 'all' : String(tryNumber ?? 'all')}
        onTry={(value) => setPickedTry(value === 'all' ? 'all' : Number(value))}
        level={level}
        onLevel={setLevel}
        search={typed}
        onSearch={setTyped}
        downloadHref={logDownloadUrl(runId, selection)}
        downloadName={`${step}${tryNumber ? ` try ${tryNumber}` : ''}`}
      />
      {search && matches !== null && (
        <p className="muted" role="status">
          {formatNumber(matches)} matching line{matches === 1 ? '' : 's'} in the whole {step} log{tryNumber ? ` (try ${tryNumber})` : ''}
          {matches > lines.length ? `, the latest ${formatNumber(lines.length)} shown` : ''}.
        </p>
      )}
      {truncated && !search && <p className="muted">Showing the latest lines only: download the log for all of it.</p>}
      {error && (
        <p className="error" role="alert">
          Log unavailable: {error}
        </p>
      )}
      <div
        className={`log ${styles.log}`}
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
        {lines.length === 0 ? (
          <span className="muted">{loading ? 'Loading…' : search || level ? 'No lines match.' : 'No log lines yet.'}</span>
        ) : (
          lines.map((line) => (
            <div key={line.id} className={`lvl-${line.level}`}>
              {formatClock(line.at)} {line.level.toUpperCase().padEnd(5)} <HighlightedText text={line.message} term={search} />
            </div>
          ))
        )}
      </div>
    </div>
  );
}
