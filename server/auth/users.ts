import type pg from 'pg';
import { z } from 'zod';
import { generatePassword, hashPassword, verifyPassword } from './passwords';
import { ROLES, type Role } from './roles';

export const usernameSchema = z.string().trim().toLowerCase().regex(/^[a-z0-9._-]{2,40}$/, 'use 2-40 characters: letters, digits, . _ -');
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

// Failed sign-ins within this window slow the next attempt for that user name.
const FAILURE_WINDOW_MINUTES = 15;

/** Users of the control panel (stockflow.users). */
export class UserRepository {
  constructor(private readonly pool: pg.Pool) {}

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM stockflow.users')).rows[0]!.n;
  }

  async list(): Promise<User[]> {
    return (await this.pool.query<UserRow>('SELECT * FROM stockflow.users ORDER BY username')).rows.map(toUser);
  }

  async add(username: string, password: string, role: Role): Promise<User> {
    const hash = await hashPassword(passwordSchema.parse(password));
    const inserted = await this.pool.query<UserRow>(
      'INSERT INTO stockflow.users (username, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING *',
      [usernameSchema.parse(username), hash, roleSchema.parse(role)],
    );
    if (!inserted.rows[0]) throw new Error(`User ${username} exists already`);
    return toUser(inserted.rows[0]);
  }

  async setPassword(username: string, password: string): Promise<void> {
    const hash = await hashPassword(passwordSchema.parse(password));
    const updated = await this.pool.query(
      'UPDATE stockflow.users SET password_hash = $2, password_changed_at = now() WHERE username = $1 RETURNING id',
      [usernameSchema.parse(username), hash],
    );
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

  /** How long the next attempt for this name must wait, after recent failures (0 when none). */
  async signInDelayMs(username: string): Promise<number> {
    const failures = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM stockflow.sign_in_failures WHERE username = $1 AND failed_at > now() - make_interval(mins => $2)`,
      [username.toLowerCase(), FAILURE_WINDOW_MINUTES],
    );
    const count = failures.rows[0]!.n;
    return count < 3 ? 0 : Math.min(250 * 2 ** (count - 3), 8000);
  }

  /** Checks a password; records failures so repeated guesses get slower. */
  async verify(username: string, password: string): Promise<User | null> {
    const name = username.trim().toLowerCase();
    const found = await this.pool.query<UserRow>('SELECT * FROM stockflow.users WHERE username = $1', [name]);
    const row = found.rows[0];
    // Hash even for unknown users so timing does not tell which names exist.
    const ok = row ? await verifyPassword(password, row.password_hash) : (await hashPassword(password), false);
    if (!ok || !row) {
      await this.pool.query('INSERT INTO stockflow.sign_in_failures (username) VALUES ($1)', [name]);
      return null;
    }
    await this.pool.query('DELETE FROM stockflow.sign_in_failures WHERE username = $1', [name]);
    return toUser(row);
  }
}
