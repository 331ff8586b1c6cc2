'use client';
import { useActionState } from 'react';

import { type ActionResult, triggerRun } from '@/app/(panel)/runs/actions';

/** The runs page's trigger action, with a note naming what was uploaded (it opens the new run). */
export function StartRunForm({ storedKeys }: { storedKeys: string[] }) {
  const [state, action, pending] = useActionState<ActionResult, FormData>(triggerRun, { ok: true, message: null });
  const note = `after upload: ${storedKeys.join(', ')}`.slice(0, 500);
  return (
    <form action={action} className="row" aria-label="Start a run">
      <input type="hidden" name="conf" value={JSON.stringify({ note })} />
      <p style={{ margin: 0 }}>
        {storedKeys.length} {storedKeys.length === 1 ? 'file' : 'files'} stored. A run reads the company list and its stock files again.
      </p>
      <button type="submit" className="primary" disabled={pending}>
        {pending ? 'Starting…' : 'Start a run'}
      </button>
      {state.message && (
        <p role="status" className={state.ok ? 'notice' : 'error'}>
          {state.message}
        </p>
      )}
    </form>
  );
}
