import type { Role } from '@/server/auth/roles';
import { UserFacingError } from '@/server/util/public-error';

/** Signed in, but the role is too low for this action. */
export class ForbiddenError extends UserFacingError {
  constructor(readonly role: Role) {
    super(`This needs the ${role} role.`);
    this.name = 'ForbiddenError';
  }
}

/** No valid session (never signed in, signed out, or expired). */
export class NotSignedInError extends UserFacingError {
  constructor() {
    super('Sign in first: your session has ended.');
    this.name = 'NotSignedInError';
  }
}
