'use client';
import { useState, useTransition } from 'react';
import { resendMail } from '@/app/(panel)/notifications/actions';

/** Resend for one failed mail in the history table. */
export function ResendButton({ id }: { id: string }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <>
      <button className="small" disabled={pending} aria-label={`Resend mail ${id}`} onClick={() => startTransition(async () => {
        const result = await resendMail(id);
        setMessage({ ok: result.ok, text: result.message ?? '' });
      })}>Resend</button>
      {message && <span role="status" className={message.ok ? 'notice' : 'error'}> {message.text}</span>}
    </>
  );
}
