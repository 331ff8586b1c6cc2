import Link from 'next/link';
import type { CSSProperties } from 'react';

import { paths } from '@/components/shared/paths';
import type { MarkerSeen } from '@/server/read-models/markers-seen';

import { decisionColour, decisionTitle, formatUtc, reasonLabel, SOURCE_LABELS } from './decision-label';

// Keys, buckets, versions and run ids are long unbroken strings: they wrap anywhere, so the page
// never scrolls sideways at phone width (cells do not wrap elsewhere in the panel).
const cell: CSSProperties = { whiteSpace: 'normal', overflowWrap: 'anywhere', wordBreak: 'break-word', verticalAlign: 'top' };
const mono: CSSProperties = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: '0.85rem' };
const small: CSSProperties = { fontSize: '0.8rem' };

/** The log, newest first: when and from where, what was decided (with the run), which marker. */
export function MarkersTable({ entries }: { entries: MarkerSeen[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Decision</th>
            <th>Marker</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} data-testid="marker-entry" data-decision={entry.decision}>
              <td style={{ ...cell, minWidth: '6.5rem' }}>
                <time dateTime={entry.seenAt}>{formatUtc(entry.seenAt)}</time>
                {entry.repeats > 1 && (
                  <div className="muted">
                    ×{entry.repeats}, last <time dateTime={entry.lastSeenAt}>{formatUtc(entry.lastSeenAt)}</time>
                  </div>
                )}
                <div className="muted" style={small}>
                  {SOURCE_LABELS[entry.source]}
                </div>
              </td>
              <td style={cell}>
                <span className={`status status-${decisionColour(entry.decision)}`}>{decisionTitle(entry.decision)}</span>
                {entry.reason && <span> {reasonLabel(entry.reason)}</span>}
                {entry.runId && (
                  <div>
                    {entry.decision === 'duplicate' ? 'of run ' : 'run '}
                    {/* A failed trigger's run id names a run that does not exist: no link. */}
                    {entry.decision === 'failed' ? <code>{entry.runId}</code> : <Link href={paths.run(entry.runId)}>{entry.runId}</Link>}
                    {entry.source === 'airflow' && ' (via Airflow)'}
                  </div>
                )}
                {entry.detail && (
                  <div className="muted" style={{ ...small, marginTop: '0.2rem' }}>
                    {entry.detail}
                  </div>
                )}
              </td>
              <td style={cell}>
                {entry.key ? <div style={mono}>{entry.key}</div> : <div className="muted">no marker key (the delivery itself)</div>}
                {entry.bucket && <div className="muted">in {entry.bucket}</div>}
                {entry.version && (
                  <div className="muted" style={small}>
                    version {entry.version}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
