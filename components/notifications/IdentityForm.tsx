'use client';
import { useActionState, useState } from 'react';

import { type NotificationActionResult, saveIdentity } from '@/app/(panel)/notifications/actions';
import { IDENTITY_FIELDS, type IdentityField } from '@/server/read-models/identity-fields';

const idle: NotificationActionResult = { ok: true, message: null };

export function IdentityForm({ initial, canEdit }: { initial: Record<IdentityField, string>; canEdit: boolean }) {
  const [values, setValues] = useState(initial);
  const [state, action, pending] = useActionState<NotificationActionResult, FormData>(saveIdentity, idle);
  const preview = `${values.cohort}_${values.firstName}_${values.surname}_Pipeline_Success`;
  return (
    <form action={action} className="form" style={{ maxWidth: '28rem' }} aria-label="Notification identity">
      {IDENTITY_FIELDS.map(({ name, label }) => {
        const problem = state.fieldErrors?.[name];
        return (
          <label key={name}>
            {label}
            <input
              name={name}
              value={values[name]}
              disabled={!canEdit}
              onChange={(event) => setValues({ ...values, [name]: event.target.value })}
              pattern="[A-Za-z0-9\-]+"
              maxLength={30}
              required
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? `${name}-problem` : undefined}
            />
            {problem && (
              <span id={`${name}-problem`} className="field-error">
                {problem}
              </span>
            )}
          </label>
        );
      })}
      <p style={{ overflowWrap: 'anywhere' }}>
        Subject preview: <code data-testid="subject-preview">{preview}</code> <span className="muted">(or …_Pipeline_Failure)</span>
      </p>
      {canEdit ? (
        <button type="submit" className="primary" disabled={pending}>
          Save
        </button>
      ) : (
        <p className="muted">Only admins change notification settings.</p>
      )}
      {state.message && (
        <p role="status" className={state.ok ? 'notice' : 'error'}>
          {state.message}
        </p>
      )}
    </form>
  );
}
