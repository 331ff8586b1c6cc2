'use client';
import { useActionState } from 'react';

import { type ActionResult, rerunWithConf } from '@/app/(panel)/runs/actions';

import styles from './runs.module.css';

/** Starts a new run from this one's conf, edited; viewers see it, disabled. */
export function RerunForm({ runId, confJson, canOperate, finished }: { runId: string; confJson: string; canOperate: boolean; finished: boolean }) {
  const [state, action, pending] = useActionState<ActionResult, FormData>(rerunWithConf, { ok: true, message: null });
  const enabled = canOperate && finished;
  return (
    <form action={action} className={styles.rerun} aria-label="Re-run with edited conf">
      <input type="hidden" name="runId" value={runId} />
      <label htmlFor="rerun-conf">Conf for a new run (JSON)</label>
      <textarea
        id="rerun-conf"
        name="conf"
        rows={Math.min(12, Math.max(3, confJson.split('\n').length + 1))}
        defaultValue={confJson}
        disabled={!enabled}
        aria-invalid={state.field === 'conf' || undefined}
        aria-describedby={state.field === 'conf' ? 'rerun-conf-error' : undefined}
        spellCheck={false}
      />
      {state.message && (
        <p id={state.field === 'conf' ? 'rerun-conf-error' : undefined} role="alert" className={state.ok ? 'notice' : 'error'}>
          {state.message}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={!enabled || pending}>
          {pending ? 'Starting…' : 'Re-run with this conf'}
        </button>
        {!canOperate && <span className="muted">Re-running needs the operator role.</span>}
        {canOperate && !finished && <span className="muted">A run can be re-run once it has finished.</span>}
      </div>
    </form>
  );
}
