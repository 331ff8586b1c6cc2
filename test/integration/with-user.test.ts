import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { z } from 'zod';

import { guardRoute } from '../../app/_lib/route-guard';
import { SESSION_COOKIE, SessionStore } from '../../server/auth/sessions';
import { UserRepository } from '../../server/auth/users';
import { migrate } from '../../server/db/migrate';
import { UserFacingError } from '../../server/util/public-error';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** Route handlers wrapped by withUser: real sessions in PostgreSQL, the cookie as a browser sends it. */
describe('withUser (route handler guard)', () => {
  let database: TestDatabase;
  let sessions: SessionStore;
  const logged: string[] = [];
  let withRole: ReturnType<typeof guardRoute>;
  const cookieOf = async (username: string): Promise<string> => {
    const { rows } = await database.pool.query<{ id: string }>('SELECT id FROM stockflow.users WHERE username = $1', [username]);
    return `${SESSION_COOKIE}=${(await sessions.create(rows[0]!.id)).cookie}`;
  };
  const request = (cookie?: string): Request => new Request('http://panel.test/api/thing?x=1', { headers: cookie ? { cookie } : {} });

  before(async () => {
    database = await createTestDatabase('with_user');
    await migrate(database.pool);
    sessions = new SessionStore(database.pool);
    const users = new UserRepository(database.pool);
    await users.add('vera', 'viewer-password-1', 'viewer');
    await users.add('olga', 'operator-password', 'operator');
    withRole = guardRoute({
      // The same lookup the Next binding does, from the request's Cookie header.
      resolveUser: (incoming) => sessions.resolve(/(?:^|;\s*)stockflow_session=([^;]+)/.exec(incoming.headers.get('cookie') ?? '')?.[1]),
      log: (line) => void logged.push(line),
    });
  });
  after(async () => {
    await database?.drop();
  });

  it('answers 401 without a session and 403 below the role, without running the handler', async () => {
    let ran = 0;
    const handler = withRole('operator', () => {
      ran += 1;
      return Response.json({ ok: true });
    });
    const anonymous = await handler(request(), {});
    assert.equal(anonymous.status, 401);
    assert.match(((await anonymous.json()) as { error: string }).error, /Sign in/);
    const forged = await handler(request(`${SESSION_COOKIE}=abc.def`), {});
    assert.equal(forged.status, 401);
    const viewer = await handler(request(await cookieOf('vera')), {});
    assert.equal(viewer.status, 403);
    assert.deepEqual(await viewer.json(), { error: 'This needs the operator role.' });
    assert.equal(ran, 0);
    const operator = await handler(request(await cookieOf('olga')), {});
    assert.equal(operator.status, 200);
    assert.equal(ran, 1);
  });

  it('hands the handler the user and the route context', async () => {
    const handler = withRole('viewer', async (_request, user, context: { params: Promise<{ id: string }> }) => Response.json({ user: user.username, id: (await context.params).id }));
    const response = await handler(request(await cookieOf('vera')), { params: Promise.resolve({ id: 'r1' }) });
    assert.deepEqual(await response.json(), { user: 'vera', id: 'r1' });
  });

  it('shows user-facing and validation errors (400), and hides anything else behind a logged reference (500)', async () => {
    const cookie = await cookieOf('olga');
    const userFacing = await withRole('viewer', () => {
      throw new UserFacingError('Run r1 has already finished.');
    })(request(cookie), {});
    assert.equal(userFacing.status, 400);
    assert.deepEqual(await userFacing.json(), { error: 'Run r1 has already finished.' });

    const invalid = await withRole('viewer', (incoming) => {
      z.object({ limit: z.coerce.number().int().max(100, 'at most 100') }).parse({ limit: new URL(incoming.url).searchParams.get('x') === '1' ? 500 : 1 });
      return Response.json({});
    })(request(cookie), {});
    assert.equal(invalid.status, 400);
    assert.deepEqual(await invalid.json(), { error: 'limit: at most 100' });

    // A real database error: the table does not exist.
    const broken = await withRole('viewer', async () => {
      await database.pool.query('SELECT * FROM stockflow.no_such_table');
      return Response.json({});
    })(request(cookie), {});
    assert.equal(broken.status, 500);
    const body = (await broken.json()) as { error: string; reference: string };
    assert.match(body.reference, /^[0-9a-f]{8}$/);
    assert.doesNotMatch(body.error, /no_such_table|relation/);
    assert.match(body.error, new RegExp(body.reference));
    const line = logged.find((entry) => entry.includes(body.reference));
    assert.ok(line, 'the reference finds the log line');
    assert.match(line, /GET \/api\/thing failed\. error: relation "stockflow\.no_such_table" does not exist/);
  });
});
