'use client';
import { useActionState, useState } from 'react';
import { saveIdentity, type NotificationActionResult } from '@/app/(panel)/notifications/actions';

export function IdentityForm({ initial, canEdit }: { initial: { cohort: string; firstName: string; surname: string }; canEdit: boolean }) {
  const [values, setValues] = useState(initial);
  const [state, action, pending] = useActionState<NotificationActionResult, FormData>(saveIdentity, { ok: true, message: null });
  const preview = `${values.cohort}_${values.firstName}_${values.surname}_Pipeline_Success`;
  const field = (name: keyof typeof values, label: string) => (
    <label>
      {label}
      <input name={name} value={values[name]} disabled={!canEdit} onChange={(event) => setValues({ ...values, [name]: event.target.value })} pattern="[A-Za-z0-9\-]+" maxLength={30} required />
    </label>
  );
  return (
    <form action={action} className="form" style={{ maxWidth: '28rem' }}>
      {field('cohort', 'Cohort')}
      {field('firstName', 'First name')}
      {field('surname', 'Surname')}
      <p>Subject preview: <code data-testid="subject-preview">{preview}</code> <span className="muted">(or …_Pipeline_Failure)</span></p>
      {canEdit ? <button type="submit" className="primary" disabled={pending}>Save</button> : <p className="muted">Only admins change notification settings.</p>}
      {state.message && <p role="status" className={state.ok ? 'notice' : 'error'}>{state.message}</p>}
    </form>
  );
}
