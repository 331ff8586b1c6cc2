'use client';
import { useActionState } from 'react';

import { type ActionResult, triggerRun } from '@/app/(panel)/runs/actions';

export function TriggerForm() {
  const [state, action, pending] = useActionState<ActionResult, FormData>(triggerRun, { ok: true, message: null });
  return (
    <form action={action} className="row" aria-label="Trigger a run">
      <label className="muted">
        Conf (JSON, optional) <input name="conf" placeholder='{"note":"manual rerun"}' aria-label="Run conf as JSON" style={{ width: '18rem' }} />
      </label>
      <label className="muted">
        Load mode{' '}
        <select
          name="mode"
          defaultValue="companies"
          aria-label="Load mode"
          style={{ maxWidth: '100%' }}
          title="companies: the batch's companies are replaced, the others kept; whole table: the table then holds exactly this batch"
        >
          <option value="companies">Batch companies only</option>
          <option value="replace">Whole table</option>
        </select>
      </label>
      <label className="muted" title="Files unchanged since their rows were loaded are skipped unless this is ticked">
        <input type="checkbox" name="full" value="true" aria-label="Read every file, unchanged ones too" /> Read unchanged files too
      </label>
      <button type="submit" className="primary" disabled={pending}>
        {pending ? 'Triggering…' : 'Trigger run'}
      </button>
      {state.message && (
        <p role="status" className={state.ok ? 'notice' : 'error'}>
          {state.message}
        </p>
      )}
    </form>
  );
}
