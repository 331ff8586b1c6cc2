import { OutboxStatus } from '@/components/notifications/OutboxStatus';
import type { OutboxHistoryRow } from '@/server/read-models/notifications';

// Subjects, run ids and errors are long unbroken words: let them wrap rather than widen the page.
const wrap = { whiteSpace: 'normal', overflowWrap: 'anywhere', minWidth: '14rem' } as const;

/** The last mails of the outbox, newest first, with Resend on the ones given up on. */
export function NotificationHistory({ history }: { history: OutboxHistoryRow[] }) {
  if (history.length === 0) return <div className="empty">Nothing sent yet.</div>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Run</th>
            <th>Subject</th>
            <th>Channel</th>
            <th>Status</th>
            <th className="num">Attempts</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {history.map((entry) => (
            <tr key={entry.id}>
              <td>{entry.id}</td>
              <td>
                <time dateTime={entry.createdAt}>{entry.createdAtText}</time>
              </td>
              <td style={wrap}>{entry.runId ?? '–'}</td>
              <td style={wrap}>{entry.subject}</td>
              <td>{entry.channel}</td>
              <td>
                <OutboxStatus id={entry.id} status={entry.status} badge={entry.badge} canResend={entry.canResend} />
              </td>
              <td className="num">{entry.attempts}</td>
              <td style={wrap}>{entry.lastError ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
