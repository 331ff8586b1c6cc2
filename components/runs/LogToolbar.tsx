import type { LogSelection } from './data/fetchLogPage';
import styles from './runs.module.css';

const LEVEL_OPTIONS: { value: string; label: string }[] = [
  { value: '', label: 'All levels' },
  { value: 'info', label: 'INFO and above' },
  { value: 'warn', label: 'WARN and above' },
  { value: 'error', label: 'ERROR only' },
];

function isLevel(value: string): value is NonNullable<LogSelection['level']> {
  return value === 'info' || value === 'warn' || value === 'error';
}

/** The log viewer's controls: which try, which levels, what text; and the download. */
export function LogToolbar(props: {
  tries: number[];
  tryValue: string;
  onTry: (value: string) => void;
  level: LogSelection['level'];
  onLevel: (level: LogSelection['level']) => void;
  search: string;
  onSearch: (text: string) => void;
  downloadHref: string;
  downloadName: string;
}) {
  return (
    <div className={`toolbar ${styles.logToolbar}`} role="group" aria-label="Log filters">
      <label>
        Try
        <select value={props.tryValue} onChange={(event) => props.onTry(event.target.value)} disabled={props.tries.length === 0}>
          {props.tries.map((tryNumber) => (
            <option key={tryNumber} value={String(tryNumber)}>
              Try {tryNumber}
            </option>
          ))}
          <option value="all">All tries</option>
        </select>
      </label>
      <label>
        Level
        <select value={props.level ?? ''} onChange={(event) => props.onLevel(isLevel(event.target.value) ? event.target.value : null)}>
          {LEVEL_OPTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <label className={styles.logSearch}>
        Search the log
        <input type="search" value={props.search} maxLength={200} onChange={(event) => props.onSearch(event.target.value)} placeholder="text in any line" />
      </label>
      <a className={styles.download} href={props.downloadHref} download>
        Download {props.downloadName} log
      </a>
    </div>
  );
}
