import 'server-only';
import { currentUser } from './session';
import { guardRoute } from './route-guard';

/**
 * `export const GET = withUser('viewer', async (request, user, { params }) => ...)`: the one way a
 * route handler authenticates and answers errors (see route-guard.ts). The session comes from the
 * request's cookie through the same cached lookup pages use.
 */
export const withUser = guardRoute({ resolveUser: () => currentUser() });
