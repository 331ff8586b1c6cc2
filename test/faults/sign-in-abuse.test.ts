import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { HashingGate } from '../../server/auth/hashing-gate';
import { SignInThrottle } from '../../server/auth/sign-in-throttle';
import { SignInLockedError, UserRepository } from '../../server/auth/users';
import { migrate } from '../../server/db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** Issue #9, item 14: password guessing cannot stall the panel or slip past the limits. */
describe('faults: sign-in abuse', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('faults_sign_in');
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
  });

  it('hashes at most two passwords at once however many sign-ins arrive, and refuses past the queue', async () => {
    const gate = new HashingGate(2, 40);
    const users = new UserRepository(database.pool, { gate });
    const attempts = Array.from({ length: 60 }, (_, index) => users.verify(`nobody-${index}`, 'guess', `198.51.100.${index}`));
    const results = await Promise.allSettled(attempts);
    assert.equal(gate.highWater, 2);
    const refused = results.filter((result) => result.status === 'rejected');
    assert.ok(refused.length >= 18, `${refused.length} refused at once instead of queued`);
    assert.ok(refused.every((result) => (result as PromiseRejectedResult).reason.name === 'SignInBusyError'));
  });

  it('counts parallel failures exactly and locks the name, then the address, before hashing', async () => {
    const throttle = new SignInThrottle(database.pool, { windowMs: 60_000, perName: 5, perAddress: 12, lockMs: 60_000, maxLockMs: 60_000 });
    let hashes = 0;
    const countingGate = new HashingGate(4, 100);
    const gate = { run: <T>(work: () => Promise<T>) => ((hashes += 1), countingGate.run(work)) } as HashingGate;
    const users = new UserRepository(database.pool, { throttle, gate });
    await users.add('vera', 'viewer-password-1', 'viewer');
    // Ten guesses at once for one name: every one is counted (the old check-then-insert raced).
    await Promise.all(Array.from({ length: 10 }, () => users.verify('vera', 'wrong', '203.0.113.7')));
    const row = await database.pool.query("SELECT failures, locked_until > now() AS locked FROM stockflow.sign_in_throttle WHERE key = 'name:vera'");
    assert.deepEqual(row.rows[0], { failures: 10, locked: true });
    const before = hashes;
    await assert.rejects(users.verify('vera', 'viewer-password-1', '203.0.113.99'), SignInLockedError);
    assert.equal(hashes, before, 'a locked name costs no hash');
    // The same address guessing other names is locked too once over its own limit.
    for (let index = 0; index < 2; index += 1) await users.verify(`other-${index}`, 'wrong', '203.0.113.7');
    await assert.rejects(users.verify('someone-else', 'x', '203.0.113.7'), SignInLockedError);
    assert.equal(await users.verify('someone-else', 'x', '192.0.2.1'), null, 'another address is not locked');
  });

  it('purges expired sessions and failure windows that are over', async () => {
    const users = new UserRepository(database.pool);
    const user = await users.add('paul', 'operator-password', 'operator');
    await database.pool.query("INSERT INTO stockflow.sessions (token_hash, user_id, expires_at) VALUES ('old', $1, now() - interval '1 day'), ('new', $1, now() + interval '1 day')", [user.id]);
    await database.pool.query("INSERT INTO stockflow.sign_in_throttle (key, failures, window_start) VALUES ('name:stale', 3, now() - interval '2 hours')");
    await users.purgeExpired();
    assert.deepEqual(
      (await database.pool.query('SELECT token_hash FROM stockflow.sessions ORDER BY token_hash')).rows.map((row) => row.token_hash),
      ['new'],
    );
    assert.equal((await database.pool.query("SELECT count(*)::int AS n FROM stockflow.sign_in_throttle WHERE key = 'name:stale'")).rows[0].n, 0);
  });
});
