import 'server-only';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { hasRole, type Role } from '@/server/auth/roles';
import { SESSION_COOKIE, SessionStore, type SessionUser } from '@/server/auth/sessions';
import { getServices } from './services';

export async function sessionStore(): Promise<SessionStore> {
  return new SessionStore((await getServices()).pool);
}

export async function currentUser(): Promise<SessionUser | null> {
  const cookie = (await cookies()).get(SESSION_COOKIE)?.value;
  return (await sessionStore()).resolve(cookie);
}

/** For pages: signed-in users only (else the sign-in page). */
export async function requireUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect('/login');
  return user;
}

export class ForbiddenError extends Error {
  readonly expose = true;
  constructor(role: Role) {
    super(`This needs the ${role} role.`);
    this.name = 'ForbiddenError';
  }
}

/** For actions and route handlers: the user, or an error naming the missing role. */
export async function requireRole(role: Role): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) throw new ForbiddenError(role);
  if (!hasRole(user.role, role)) throw new ForbiddenError(role);
  return user;
}
