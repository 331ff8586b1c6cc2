import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { hasRole } from '../../server/auth/roles';
import { SessionStore } from '../../server/auth/sessions';
import { SignInLockedError, UserRepository } from '../../server/auth/users';
import { migrate } from '../../server/db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('users, sessions and roles', () => {
  let database: TestDatabase;
  let users: UserRepository;
  let sessions: SessionStore;
  before(async () => {
    database = await createTestDatabase('auth');
    await migrate(database.pool);
    users = new UserRepository(database.pool);
    sessions = new SessionStore(database.pool);
  });
  after(async () => {
    await database?.drop();
  });

  it('creates the first admin once, with a password that works', async () => {
    const first = await users.ensureFirstAdmin();
    assert.ok(first);
    assert.equal(await users.ensureFirstAdmin(), null);
    assert.equal((await users.verify('admin', first.password))?.role, 'admin');
    const stored = await database.pool.query("SELECT password_hash FROM stockflow.users WHERE username = 'admin'");
    assert.match(stored.rows[0].password_hash, /^scrypt\$/);
    assert.ok(!stored.rows[0].password_hash.includes(first.password));
  });

  it('locks a name after repeated failures without hashing, and a success clears it', async () => {
    await users.add('olga', 'operator-password', 'operator');
    for (let attempt = 0; attempt < 5; attempt += 1) assert.equal(await users.verify('olga', 'wrong'), null);
    await assert.rejects(users.verify('olga', 'operator-password'), SignInLockedError, 'locked: even the right password waits');
    await database.pool.query("UPDATE stockflow.sign_in_throttle SET locked_until = now() - interval '1 second' WHERE key = 'name:olga'");
    assert.equal((await users.verify('OLGA', 'operator-password'))?.username, 'olga');
    assert.equal((await database.pool.query("SELECT count(*)::int AS n FROM stockflow.sign_in_throttle WHERE key = 'name:olga'")).rows[0].n, 0);
  });

  it('signs session cookies, refuses forged ones and ends sessions on a password change', async () => {
    const olga = (await users.verify('olga', 'operator-password'))!;
    const { cookie } = await sessions.create(olga.id);
    assert.deepEqual(await sessions.resolve(cookie), { id: olga.id, username: 'olga', role: 'operator' });
    const [token] = cookie.split('.');
    assert.equal(await sessions.resolve(`${token}.forged-signature`), null);
    assert.equal(await sessions.resolve(`other-token.${cookie.split('.')[1]}`), null);
    assert.equal(await sessions.resolve(undefined), null);
    await users.setPassword('olga', 'a-brand-new-password');
    assert.equal(await sessions.resolve(cookie), null);
    const again = await sessions.create(olga.id);
    await sessions.destroy(again.cookie);
    assert.equal(await sessions.resolve(again.cookie), null);
  });

  it('refuses bad names, short passwords and duplicates, and orders roles', async () => {
    await assert.rejects(users.add('A B', 'long-enough-password', 'viewer'));
    await assert.rejects(users.add('short', 'short', 'viewer'), /at least 10/);
    await assert.rejects(users.add('olga', 'long-enough-password', 'viewer'), /exists already/);
    assert.equal(hasRole('admin', 'operator'), true);
    assert.equal(hasRole('viewer', 'operator'), false);
    assert.equal(hasRole('operator', 'operator'), true);
    await users.remove('olga');
    assert.deepEqual(
      (await users.list()).map((user) => user.username),
      ['admin'],
    );
  });
});
