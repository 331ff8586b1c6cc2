import { redirect } from 'next/navigation';

import { SignInForm } from '@/components/auth/SignInForm';

import { currentUser } from '../_lib/session';

export const dynamic = 'force-dynamic';

export default async function LoginPage() {
  if (await currentUser()) redirect('/');
  return (
    <main className="login">
      <div className="login-card">
        <h1>stockflow</h1>
        <p className="muted">Sign in to run and watch the stock data pipeline.</p>
        <SignInForm />
      </div>
    </main>
  );
}
