'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useState, useTransition } from 'react';

import { type ActionResult, cancelRun, retryRun } from '@/app/(panel)/runs/actions';
import type { RunDetail } from '@/server/read-models/run-detail';

import { runKeys } from './data/keys';
import styles from './runs.module.css';
import { StatusBadge } from './StatusBadge';

/** The run's name and state, with Cancel / Retry for operators. */
export function RunHeader({ detail, canOperate }: { detail: RunDetail; canOperate: boolean }) {
  const { run } = detail;
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const queryClient = useQueryClient();
  const act = (action: (id: string) => Promise<ActionResult>, confirmText: string) => {
    if (!window.confirm(confirmText)) return;
    startTransition(async () => {
      const result = await action(run.id);
      setMessage({ ok: result.ok, text: result.message ?? '' });
      await queryClient.invalidateQueries({ queryKey: runKeys.detail(run.id) });
    });
  };
  return (
    <>
      <div className="row">
        <h1 className={styles.title}>Run {run.id}</h1>
        <StatusBadge status={run.status} />
        {canOperate && detail.isCancellable && (
          <button className="danger" disabled={pending} onClick={() => act(cancelRun, `Cancel run ${run.id}?`)}>
            Cancel
          </button>
        )}
        {canOperate && detail.isRetryable && (
          <button className="primary" disabled={pending} onClick={() => act(retryRun, `Run the failed steps of ${run.id} again?`)}>
            Retry
          </button>
        )}
      </div>
      {message && (
        <p role="status" className={message.ok ? 'notice' : 'error'}>
          {message.text}
        </p>
      )}
    </>
  );
}
