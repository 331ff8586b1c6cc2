'use client';
import { useState, useTransition } from 'react';

import { resendMail } from '@/app/(panel)/notifications/actions';
import { StatusBadge } from '@/components/runs/StatusBadge';

/**
 * One outbox row's status, with Resend for a mail given up on. The answer stays shown after the
 * row changes (the component keeps its place in the table, so its state survives the refresh).
 */
export function OutboxStatus({ id, status, badge, canResend }: { id: string; status: string; badge: string; canResend: boolean }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <>
      <StatusBadge status={badge} /> {status}
      {canResend && (
        <>
          {' '}
          <button
            className="small"
            disabled={pending}
            aria-label={`Resend mail ${id}`}
            onClick={() =>
              startTransition(async () => {
                const result = await resendMail(id);
                setMessage({ ok: result.ok, text: result.message ?? '' });
              })
            }
          >
            Resend
          </button>
        </>
      )}
      {message && (
        <span role="status" className={message.ok ? 'notice' : 'error'}>
          {' '}
          {message.text}
        </span>
      )}
    </>
  );
}
