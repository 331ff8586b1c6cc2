'use client';
import { useActionState, useState, useTransition } from 'react';

import { addSubscription, type NotificationActionResult, removeSubscription, setTopic } from '@/app/(panel)/notifications/actions';
import type { SubscriptionView } from '@/server/read-models/notifications';

// Topic ARNs and e-mail addresses are long unbroken words: wrap them instead of widening a phone screen.
const wrap = { whiteSpace: 'normal', overflowWrap: 'anywhere', minWidth: '14rem' } as const;

const idle: NotificationActionResult = { ok: true, message: null };

function Message({ state }: { state: NotificationActionResult }) {
  return state.message ? (
    <p role="status" className={state.ok ? 'notice' : 'error'}>
      {state.message}
    </p>
  ) : null;
}

export function SnsSettings({ topicArn, subscriptions, error }: { topicArn: string | null; subscriptions: SubscriptionView[]; error: string | null }) {
  const [topicState, topicAction, topicPending] = useActionState(setTopic, idle);
  const [subscribeState, subscribeAction, subscribePending] = useActionState(addSubscription, idle);
  const [removeState, setRemoveState] = useState(idle);
  const [removing, startRemoving] = useTransition();
  return (
    <>
      <p style={wrap}>Topic: {topicArn ? <code>{topicArn}</code> : <span className="muted">none yet</span>}</p>
      <form action={topicAction} className="toolbar" aria-label="SNS topic">
        <label>
          Create a topic named <input name="name" placeholder="stockflow-notifications" />
        </label>
        <label>
          or use the topic ARN <input name="arn" placeholder="arn:aws:sns:…" style={{ width: '20rem', maxWidth: '100%' }} />
        </label>
        <button type="submit" disabled={topicPending}>
          Set topic
        </button>
      </form>
      <Message state={topicState} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {topicArn && (
        <>
          <h3>E-mail subscriptions</h3>
          {subscriptions.length === 0 ? (
            <p className="muted">No subscriptions yet.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Endpoint</th>
                    <th>Protocol</th>
                    <th>State</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {subscriptions.map((subscription) => (
                    <tr key={`${subscription.protocol}:${subscription.endpoint}`}>
                      <td style={wrap}>{subscription.endpoint}</td>
                      <td>{subscription.protocol}</td>
                      <td>{subscription.pending ? 'pending confirmation' : 'confirmed'}</td>
                      <td>
                        {subscription.arn && (
                          <button
                            disabled={removing}
                            aria-label={`Remove ${subscription.endpoint}`}
                            onClick={() => {
                              if (!window.confirm(`Remove ${subscription.endpoint}?`)) return;
                              startRemoving(async () => setRemoveState(await removeSubscription(subscription.arn!)));
                            }}
                          >
                            Remove
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Message state={removeState} />
          <form action={subscribeAction} className="toolbar" aria-label="Add a subscription">
            <label>
              E-mail <input name="email" type="email" required placeholder="ops@example.com" />
            </label>
            <button type="submit" disabled={subscribePending}>
              Subscribe
            </button>
          </form>
          <Message state={subscribeState} />
        </>
      )}
    </>
  );
}
