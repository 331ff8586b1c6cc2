import 'server-only';

import { guardRoute } from './route-guard';
import { currentUser } from './session';

/**
 * `export const GET = withUser('viewer', async (request, user, { params }) => ...)`: the one way a
 * route handler authenticates and answers errors (see route-guard.ts). The session comes from the
 * request's cookie through the same cached lookup pages use.
 */
export const withUser = guardRoute({ resolveUser: () => currentUser() });
