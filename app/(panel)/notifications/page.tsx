import { hasRole } from '@/server/auth/roles';
import { loadNotifications } from '@/server/read-models/notifications';
import { IdentityForm } from '@/components/notifications/IdentityForm';
import { TestButton } from '@/components/notifications/TestButton';
import { OutboxStatus } from '@/components/notifications/OutboxStatus';
import { SnsSettings } from '@/components/notifications/SnsSettings';
import type { TopicSubscription } from '@/server/adapters/sns-channel';
import { StatusBadge } from '@/components/runs/StatusBadge';
import { formatTime } from '@/components/runs/format';
import { getServices } from '../../_lib/services';
import { publicErrorMessage } from '@/server/util/public-error';
import { requireUser } from '../../_lib/session';

export default async function NotificationsPage() {
  const user = await requireUser();
  const services = await getServices();
  const view = await loadNotifications(services);
  const isAdmin = hasRole(user.role, 'admin');
  const isOperator = hasRole(user.role, 'operator');
  let subscriptions: TopicSubscription[] = [];
  let snsError: string | null = null;
  const topicArn = (await services.sns?.currentTopic()) ?? null;
  if (services.sns && topicArn) {
    try {
      subscriptions = await services.sns.listSubscriptions();
    } catch (error) {
      snsError = publicErrorMessage(error, "Could not list the subscriptions.");
    }
  }
  return (
    <>
      <h1>Notifications</h1>
      <h2>Identity</h2>
      <p className="muted">The subject of every pipeline mail: &lt;Cohort&gt;_&lt;FirstName&gt;_&lt;Surname&gt;_Pipeline_Success or _Failure.{view.identityFromPanel ? '' : ' (Currently from the environment.)'}</p>
      <IdentityForm initial={view.identity} canEdit={isAdmin} />
      <h2>Delivery</h2>
      <p>
        Channel: <strong>{services.config.mail.channel}</strong>{' '}
        <span className="muted">
          {services.config.mail.channel === 'outbox' ? '(kept in the outbox below; set SMTP_URL or STOCKFLOW_NOTIFIER=sns to send mail)' : services.config.mail.channel === 'smtp' ? `(SMTP to ${services.config.mail.to.join(', ')})` : '(SNS topic with e-mail subscriptions)'}
        </span>
      </p>
      {services.sns && isAdmin && <SnsSettings topicArn={topicArn} subscriptions={subscriptions} error={snsError} />}
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
                  <td><OutboxStatus id={entry.id} status={entry.status} canResend={isOperator} /></td>
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
