import 'server-only';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';

import { hasRole, type Role } from '@/server/auth/roles';
import { SESSION_COOKIE, SessionStore, type SessionUser } from '@/server/auth/sessions';

import { ForbiddenError, NotSignedInError } from './auth-errors';
import { getServices } from './services';

export { ForbiddenError, NotSignedInError } from './auth-errors';

export async function sessionStore(): Promise<SessionStore> {
  return new SessionStore((await getServices()).pool);
}

/**
 * The signed-in user, looked up once per request: React's cache() shares the answer between the
 * layout, the page and its components, which all ask.
 */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const cookie = (await cookies()).get(SESSION_COOKIE)?.value;
  return (await sessionStore()).resolve(cookie);
});

/** For pages: signed-in users only (else the sign-in page). */
export async function requireUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect('/login');
  return user;
}

/** For actions: the user, or an error naming the missing role. */
export async function requireRole(role: Role): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) throw new NotSignedInError();
  if (!hasRole(user.role, role)) throw new ForbiddenError(role);
  return user;
}
