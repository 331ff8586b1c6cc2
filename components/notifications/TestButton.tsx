'use client';
import { useState, useTransition } from 'react';

import { sendTestNotification } from '@/app/(panel)/notifications/actions';

export function TestButton() {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <div className="row">
      <button
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await sendTestNotification();
            setMessage({ ok: result.ok, text: result.message ?? '' });
          })
        }
      >
        Send test notification
      </button>
      {message && (
        <p role="status" className={message.ok ? 'notice' : 'error'}>
          {message.text}
        </p>
      )}
    </div>
  );
}
