import { hasRole, type Role } from '@/server/auth/roles';
import type { SessionUser } from '@/server/auth/sessions';
import { type ErrorLog, firstIssue, isUserFacing, isZodError, toPublicError } from '@/server/util/public-error';

/** How a guarded route finds its caller; Next's binding reads the session cookie (with-user.ts). */
export interface RouteGuardDependencies {
  resolveUser(request: Request): Promise<SessionUser | null>;
  log?: ErrorLog;
}

export type GuardedHandler<Context> = (request: Request, user: SessionUser, context: Context) => Response | Promise<Response>;

const json = (status: number, body: Record<string, unknown>): Response => Response.json(body, { status, headers: { 'cache-control': 'no-store' } });

/**
 * Wraps a route handler: authenticates once (401 without a session, 403 below the role), then
 * turns errors into JSON answers: a UserFacingError or a zod error is the caller's to read (400);
 * anything else is logged under a reference and answered 500 with only that reference.
 * Kept free of Next so it can be tested against a real session table without a Next server.
 */
export function guardRoute(dependencies: RouteGuardDependencies) {
  return function withRole<Context>(role: Role, handler: GuardedHandler<Context>): (request: Request, context: Context) => Promise<Response> {
    return async (request, context) => {
      try {
        const user = await dependencies.resolveUser(request);
        if (!user) return json(401, { error: 'Sign in first.' });
        if (!hasRole(user.role, role)) return json(403, { error: `This needs the ${role} role.` });
        return await handler(request, user, context);
      } catch (error) {
        if (isZodError(error)) return json(400, { error: firstIssue(error) });
        // Thrown by requireRole() deeper down: the same answers as the checks above.
        if (isUserFacing(error) && error.name === 'NotSignedInError') return json(401, { error: error.message });
        if (isUserFacing(error) && error.name === 'ForbiddenError') return json(403, { error: error.message });
        if (isUserFacing(error)) return json(400, { error: error.message });
        const shown = toPublicError(error, `${request.method} ${new URL(request.url).pathname} failed.`, dependencies.log);
        return json(500, { error: shown.message, reference: shown.reference });
      }
    };
  };
}
