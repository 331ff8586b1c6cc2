'use client';
import { useActionState } from 'react';

import { signIn, type SignInState } from '@/app/login/actions';

export function SignInForm() {
  const [state, action, pending] = useActionState<SignInState, FormData>(signIn, { error: null });
  return (
    <form action={action} className="form" aria-describedby={state.error ? 'sign-in-error' : undefined}>
      <label>
        User name
        <input name="username" autoComplete="username" required autoFocus />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {state.error && (
        <p id="sign-in-error" role="alert" className="error">
          {state.error}
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
