import { hasRole } from '@/server/auth/roles';
import { loadNotifications } from '@/server/read-models/notifications';
import { IdentityForm } from '@/components/notifications/IdentityForm';
import { TestButton } from '@/components/notifications/TestButton';
import { StatusBadge } from '@/components/runs/StatusBadge';
import { formatTime } from '@/components/runs/format';
import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function NotificationsPage() {
  const user = await requireUser();
  const view = await loadNotifications(await getServices());
  const isAdmin = hasRole(user.role, 'admin');
  return (
    <>
      <h1>Notifications</h1>
      <h2>Identity</h2>
      <p className="muted">The subject of every pipeline mail: &lt;Cohort&gt;_&lt;FirstName&gt;_&lt;Surname&gt;_Pipeline_Success or _Failure.{view.identityFromPanel ? '' : ' (Currently from the environment.)'}</p>
      <IdentityForm initial={view.identity} canEdit={isAdmin} />
      {isAdmin && (
        <>
          <h2>Test</h2>
          <TestButton />
        </>
      )}
      <h2>History</h2>
      {view.history.length === 0 ? <div className="empty">Nothing sent yet.</div> : (
        <div className="table-wrap">
          <table>
            <thead><tr><th>#</th><th>When</th><th>Run</th><th>Subject</th><th>Channel</th><th>Status</th><th className="num">Attempts</th><th>Last error</th></tr></thead>
            <tbody>
              {view.history.map((entry) => (
                <tr key={entry.id}>
                  <td>{entry.id}</td><td>{formatTime(entry.createdAt)}</td><td>{entry.runId ?? '–'}</td><td>{entry.subject}</td><td>{entry.channel}</td>
                  <td><StatusBadge status={entry.status === 'sent' ? 'success' : entry.status === 'failed' ? 'failed' : 'queued'} /> {entry.status}</td>
                  <td className="num">{entry.attempts}</td><td>{entry.lastError ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
