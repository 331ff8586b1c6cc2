import { IdentityForm } from '@/components/notifications/IdentityForm';
import { NotificationHistory } from '@/components/notifications/NotificationHistory';
import { SnsSettings } from '@/components/notifications/SnsSettings';
import { TestButton } from '@/components/notifications/TestButton';
import { loadNotifications } from '@/server/read-models/notifications';

import { getServices } from '../../_lib/services';
import { requireUser } from '../../_lib/session';

export default async function NotificationsPage() {
  const user = await requireUser();
  const view = await loadNotifications(await getServices(), user.role);
  return (
    <>
      <h1>Notifications</h1>
      <h2>Identity</h2>
      <p className="muted">
        The subject of every pipeline mail: &lt;Cohort&gt;_&lt;FirstName&gt;_&lt;Surname&gt;_Pipeline_Success or _Failure.{view.identityFromPanel ? '' : ' (Currently from the environment.)'}
      </p>
      <IdentityForm initial={view.identity} canEdit={view.canEdit} />
      <h2>Delivery</h2>
      <p style={{ overflowWrap: 'anywhere' }}>
        Channel: <strong>{view.channel.name}</strong> <span className="muted">{view.channel.explanation}</span>
      </p>
      {view.sns && <SnsSettings topicArn={view.sns.topicArn} subscriptions={view.sns.subscriptions} error={view.sns.error} />}
      {view.canEdit && (
        <>
          <h2>Test</h2>
          <TestButton />
        </>
      )}
      <h2>History</h2>
      <NotificationHistory history={view.history} />
    </>
  );
}
