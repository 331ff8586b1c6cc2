'use client';
import { useState, useTransition } from 'react';

import { changeHost } from '@/app/(panel)/host/actions';

export function HostControls({ status, canOperate }: { status: string; canOperate: boolean }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const run = (action: 'start' | 'stop') => {
    if (!window.confirm(action === 'stop' ? 'Stop the host? Queued runs wait until it is started again.' : 'Start the host?')) return;
    startTransition(async () => {
      const result = await changeHost(action);
      setMessage({ ok: result.ok, text: result.message });
    });
  };
  return (
    <div className="row">
      <button className="primary" disabled={!canOperate || pending || status === 'running'} onClick={() => run('start')}>
        Start
      </button>
      <button className="danger" disabled={!canOperate || pending || status === 'stopped'} onClick={() => run('stop')}>
        Stop
      </button>
      {!canOperate && <span className="muted">Starting and stopping needs the operator role.</span>}
      {message && (
        <p role="status" className={message.ok ? 'notice' : 'error'}>
          {message.text}
        </p>
      )}
    </div>
  );
}
