'use server';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { SESSION_COOKIE } from '@/server/auth/sessions';
import { UserRepository } from '@/server/auth/users';
import { getServices } from '../_lib/services';
import { sessionStore } from '../_lib/session';

const signInSchema = z.object({
  username: z.string().trim().min(1, 'Enter your user name').max(40),
  password: z.string().min(1, 'Enter your password').max(200),
});

export interface SignInState {
  error: string | null;
}

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const parsed = signInSchema.safeParse({ username: form.get('username'), password: form.get('password') });
  if (!parsed.success) return { error: parsed.error.issues[0]!.message };
  const users = new UserRepository((await getServices()).pool);
  // Repeated failures for a name make each next attempt wait longer.
  const delay = await users.signInDelayMs(parsed.data.username);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const user = await users.verify(parsed.data.username, parsed.data.password);
  if (!user) return { error: 'Wrong user name or password.' };
  const session = await (await sessionStore()).create(user.id);
  (await cookies()).set(SESSION_COOKIE, session.cookie, { httpOnly: true, sameSite: 'lax', path: '/', expires: session.expires, secure: process.env.NODE_ENV === 'production' && process.env.STOCKFLOW_INSECURE_COOKIES !== '1' });
  redirect('/');
}

export async function signOut(): Promise<void> {
  const jar = await cookies();
  await (await sessionStore()).destroy(jar.get(SESSION_COOKIE)?.value);
  jar.delete(SESSION_COOKIE);
  redirect('/login');
}
