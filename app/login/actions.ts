'use server';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { z } from 'zod';

import { SESSION_COOKIE } from '@/server/auth/sessions';
import { UserRepository } from '@/server/auth/users';
import { publicErrorMessage } from '@/server/util/public-error';

import { getServices } from '../_lib/services';
import { sessionStore } from '../_lib/session';

const signInSchema = z.object({
  username: z.string({ error: 'Enter your user name.' }).trim().min(1, 'Enter your user name.').max(40, 'User names have at most 40 characters.'),
  password: z.string({ error: 'Enter your password.' }).min(1, 'Enter your password.').max(200, 'Passwords have at most 200 characters.'),
});

export interface SignInState {
  error: string | null;
}

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const parsed = signInSchema.safeParse({ username: form.get('username'), password: form.get('password') });
  if (!parsed.success) return { error: parsed.error.issues[0]!.message };
  let session: { cookie: string; expires: Date };
  try {
    const users = new UserRepository((await getServices()).pool);
    // A locked name or a busy hashing gate is a user-facing error: its message says when to retry.
    const user = await users.verify(parsed.data.username, parsed.data.password, await clientAddress());
    if (!user) return { error: 'Wrong user name or password.' };
    await users.purgeExpired();
    session = await (await sessionStore()).create(user.id);
  } catch (error) {
    return { error: publicErrorMessage(error, 'Could not sign you in.') };
  }
  (await cookies()).set(SESSION_COOKIE, session.cookie, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    expires: session.expires,
    secure: process.env.NODE_ENV === 'production' && process.env.STOCKFLOW_INSECURE_COOKIES !== '1',
  });
  redirect('/');
}

/**
 * The client's address for per-address throttling: the last X-Forwarded-For entry, the one the
 * nearest proxy (Next's own server, or a load balancer) added; earlier entries are the client's
 * to forge.
 */
async function clientAddress(): Promise<string | null> {
  const forwarded = (await headers()).get('x-forwarded-for');
  const last = forwarded
    ?.split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .at(-1);
  return last ? last.slice(0, 64) : null;
}

export async function signOut(): Promise<void> {
  const jar = await cookies();
  await (await sessionStore()).destroy(jar.get(SESSION_COOKIE)?.value);
  jar.delete(SESSION_COOKIE);
  redirect('/login');
}
