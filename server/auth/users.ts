import type pg from 'pg';
import { z } from 'zod';

import { HashingGate } from './hashing-gate';
import { generatePassword, hashPassword, verifyPassword } from './passwords';
import { type Role, ROLES } from './roles';
import { SignInThrottle } from './sign-in-throttle';

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{2,40}$/, 'use 2-40 characters: letters, digits, . _ -');
export const passwordSchema = z.string().min(10, 'use at least 10 characters').max(200);
export const roleSchema = z.enum(ROLES);

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
}

interface UserRow {
  id: string;
  username: string;
  role: Role;
  created_at: Date;
  password_hash: string;
}

const toUser = (row: UserRow): User => ({ id: row.id, username: row.username, role: row.role, createdAt: row.created_at.toISOString() });

// One gate per process: it bounds the CPU and thread pool that sign-ins may take.
const processGate = new HashingGate();

/** A name or address that failed too often: refused without checking the password. */
export class SignInLockedError extends Error {
  readonly expose = true;
  constructor(readonly waitMs: number) {
    super(`Too many failed sign-ins; try again in ${Math.ceil(waitMs / 1000)} s.`);
    this.name = 'SignInLockedError';
  }
}

/** Users of the control panel (stockflow.users). */
export class UserRepository {
  private readonly throttle: SignInThrottle;
  private readonly gate: HashingGate;

  constructor(
    private readonly pool: pg.Pool,
    options: { throttle?: SignInThrottle; gate?: HashingGate } = {},
  ) {
    this.throttle = options.throttle ?? new SignInThrottle(pool);
    this.gate = options.gate ?? processGate;
  }

  /** Purges old throttle windows and expired sessions. */
  purgeExpired(): Promise<void> {
    return this.throttle.purge();
  }

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM stockflow.users')).rows[0]!.n;
  }

  async list(): Promise<User[]> {
    return (await this.pool.query<UserRow>('SELECT * FROM stockflow.users ORDER BY username')).rows.map(toUser);
  }

  async add(username: string, password: string, role: Role): Promise<User> {
    const hash = await hashPassword(passwordSchema.parse(password));
    const inserted = await this.pool.query<UserRow>('INSERT INTO stockflow.users (username, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING *', [
      usernameSchema.parse(username),
      hash,
      roleSchema.parse(role),
    ]);
    if (!inserted.rows[0]) throw new Error(`User ${username} exists already`);
    return toUser(inserted.rows[0]);
  }

  async setPassword(username: string, password: string): Promise<void> {
    const hash = await hashPassword(passwordSchema.parse(password));
    const updated = await this.pool.query('UPDATE stockflow.users SET password_hash = $2, password_changed_at = now() WHERE username = $1 RETURNING id', [usernameSchema.parse(username), hash]);
    if (updated.rowCount === 0) throw new Error(`No user ${username}`);
    // A new password ends every session of the old one.
    await this.pool.query('DELETE FROM stockflow.sessions WHERE user_id = $1', [updated.rows[0].id]);
  }

  async remove(username: string): Promise<void> {
    const removed = await this.pool.query('DELETE FROM stockflow.users WHERE username = $1', [usernameSchema.parse(username)]);
    if (removed.rowCount === 0) throw new Error(`No user ${username}`);
  }

  /** With no users yet, creates `admin` with a generated password and returns it (shown once). */
  async ensureFirstAdmin(): Promise<{ username: string; password: string } | null> {
    if ((await this.count()) > 0) return null;
    const password = generatePassword();
    try {
      await this.add('admin', password, 'admin');
    } catch {
      return null; // another process created it first
    }
    return { username: 'admin', password };
  }

  /**
   * Checks a password. Throttled before any hashing (per name and per client address), at most a
   * few hashes at once, every failure recorded atomically.
   */
  async verify(username: string, password: string, address: string | null = null): Promise<User | null> {
    const name = username.trim().toLowerCase();
    const wait = await this.throttle.waitMs(name, address);
    if (wait > 0) throw new SignInLockedError(wait);
    const found = await this.pool.query<UserRow>('SELECT * FROM stockflow.users WHERE username = $1', [name]);
    const row = found.rows[0];
    // Hash even for unknown users so timing does not tell which names exist.
    const ok = await this.gate.run(async () => (row ? verifyPassword(password, row.password_hash) : (await hashPassword(password), false)));
    if (!ok || !row) {
      await this.throttle.recordFailure(name, address);
      return null;
    }
    await this.throttle.recordSuccess(name);
    return toUser(row);
  }
}
