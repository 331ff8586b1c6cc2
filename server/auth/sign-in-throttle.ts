import type pg from 'pg';

export interface ThrottleLimits {
  /** Failures counted within this window. */
  windowMs: number;
  /** Failures for one user name before it is locked, and for one client address. */
  perName: number;
  perAddress: number;
  /** First lock; each further failure while over the limit doubles it, up to maxLockMs. */
  lockMs: number;
  maxLockMs: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = { windowMs: 15 * 60_000, perName: 5, perAddress: 30, lockMs: 30_000, maxLockMs: 15 * 60_000 };

/**
 * Throttles password guessing per user name and per client address. The check comes before any
 * hashing (a locked name costs nothing), and each failure is one atomic upsert per key, so parallel
 * guesses cannot slip past the count.
 */
export class SignInThrottle {
  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: ThrottleLimits = DEFAULT_LIMITS,
  ) {}

  private keys(username: string, address: string | null): string[] {
    return [`name:${username.trim().toLowerCase()}`, ...(address ? [`ip:${address}`] : [])];
  }

  /** Milliseconds until this name or address may try again (0: now). */
  async waitMs(username: string, address: string | null): Promise<number> {
    const found = await this.pool.query<{ wait: number | null }>(
      `SELECT max(extract(epoch FROM locked_until - now()) * 1000)::float8 AS wait
         FROM stockflow.sign_in_throttle WHERE key = ANY($1) AND locked_until > now()`,
      [this.keys(username, address)],
    );
    return Math.max(0, Math.ceil(found.rows[0]?.wait ?? 0));
  }

  async recordFailure(username: string, address: string | null): Promise<void> {
    const { windowMs, perName, perAddress, lockMs, maxLockMs } = this.limits;
    for (const key of this.keys(username, address)) {
      const limit = key.startsWith('name:') ? perName : perAddress;
      await this.pool.query(
        `INSERT INTO stockflow.sign_in_throttle AS t (key, failures, window_start) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
           window_start = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN now() ELSE t.window_start END,
           locked_until = CASE
             WHEN t.window_start >= now() - make_interval(secs => $2) AND t.failures + 1 >= $3
             THEN now() + make_interval(secs => least($5, $4 * 2 ^ least(t.failures + 1 - $3, 20)))
             ELSE t.locked_until END`,
        [key, windowMs / 1000, limit, lockMs / 1000, maxLockMs / 1000],
      );
    }
  }

  /** A right password clears its name (not the address: one user's success says nothing of the rest). */
  async recordSuccess(username: string): Promise<void> {
    await this.pool.query('DELETE FROM stockflow.sign_in_throttle WHERE key = $1', [`name:${username.trim().toLowerCase()}`]);
  }

  /** Forgets what is over: old failure windows and expired sessions. */
  async purge(): Promise<void> {
    await this.pool.query(`DELETE FROM stockflow.sign_in_throttle WHERE window_start < now() - make_interval(secs => $1) AND (locked_until IS NULL OR locked_until < now())`, [
      this.limits.windowMs / 1000,
    ]);
    await this.pool.query('DELETE FROM stockflow.sessions WHERE expires_at < now()');
  }
}
