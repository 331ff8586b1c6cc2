import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import type pg from 'pg';

import type { Role } from './roles';

export const SESSION_COOKIE = 'stockflow_session';
const SESSION_DAYS = 7;

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Sessions in stockflow.sessions; the cookie carries `token.signature`, signed with a secret kept
 * in stockflow.settings (created on first use), so a forged or altered cookie is refused unread.
 */
export class SessionStore {
  private secret: Promise<Buffer> | null = null;

  constructor(private readonly pool: pg.Pool) {}

  private signingKey(): Promise<Buffer> {
    this.secret ??= (async () => {
      await this.pool.query(`INSERT INTO stockflow.settings (key, value) VALUES ('session_secret', to_jsonb($1::text)) ON CONFLICT (key) DO NOTHING`, [randomBytes(32).toString('base64')]);
      const row = await this.pool.query<{ value: string }>(`SELECT value FROM stockflow.settings WHERE key = 'session_secret'`);
      return Buffer.from(row.rows[0]!.value, 'base64');
    })();
    return this.secret;
  }

  private async sign(token: string): Promise<string> {
    return createHmac('sha256', await this.signingKey())
      .update(token)
      .digest('base64url');
  }

  async create(userId: string): Promise<{ cookie: string; expires: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expires = new Date(Date.now() + SESSION_DAYS * 86_400_000);
    await this.pool.query('INSERT INTO stockflow.sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [sha256(token), userId, expires]);
    return { cookie: `${token}.${await this.sign(token)}`, expires };
  }

  async resolve(cookie: string | undefined): Promise<SessionUser | null> {
    if (!cookie) return null;
    const [token, signature] = cookie.split('.');
    if (!token || !signature) return null;
    const expected = Buffer.from(await this.sign(token));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const found = await this.pool.query<SessionUser>(
      `SELECT u.id, u.username, u.role FROM stockflow.sessions s JOIN stockflow.users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [sha256(token)],
    );
    return found.rows[0] ?? null;
  }

  async destroy(cookie: string | undefined): Promise<void> {
    const token = cookie?.split('.')[0];
    if (token) await this.pool.query('DELETE FROM stockflow.sessions WHERE token_hash = $1', [sha256(token)]);
  }
}
