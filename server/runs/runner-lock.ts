import type pg from 'pg';

// Only the holder of this lock executes runs: one run at a time across every process.
export const RUNNER_LOCK_KEY = 7_391_022_516;
// How long a liveness check may take before the session counts as gone.
const CHECK_TIMEOUT_MS = 5000;

/** Why a step was stopped: the worker can no longer prove it is the only one executing. */
export class LockLostError extends Error {
  constructor(reason: string) {
    super(`lost the runner lock (${reason})`);
    this.name = 'LockLostError';
  }
}

/**
 * The runner's PostgreSQL advisory lock and the session that holds it. The lock lives exactly as
 * long as that session, so losing the connection (a database restart, a killed backend, a network
 * cut) silently hands the lock to whoever asks next. We notice through the client's 'error'/'end'
 * events, a periodic check while holding it, and `verify()` before anything that needs exclusivity.
 */
export class RunnerLock {
  private lost: string | null = null;
  private released = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onError = (error: Error): void => this.lose(error.message);
  private readonly onEnd = (): void => this.lose('connection closed');

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly onLost: (error: LockLostError) => void,
    checkEveryMs: number,
  ) {
    client.on('error', this.onError);
    client.on('end', this.onEnd);
    this.heartbeat = setInterval(() => void this.verify(), checkEveryMs);
    this.heartbeat.unref();
  }

  /** The lock, or null when another session holds it. */
  static async tryAcquire(pool: pg.Pool, options: { onLost: (error: LockLostError) => void; checkEveryMs: number }): Promise<RunnerLock | null> {
    const client = await pool.connect();
    // A checked-out client has no pool error handler: without one, a server shutdown crashes the process.
    const ignore = (): void => {};
    client.on('error', ignore);
    let locked = false;
    try {
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RUNNER_LOCK_KEY]);
      locked = result.rows[0]?.locked === true;
    } catch (error) {
      // Destroyed with its listener: a late error from the dying connection goes nowhere.
      client.release(true);
      throw error;
    }
    client.removeListener('error', ignore);
    if (!locked) {
      client.release();
      return null;
    }
    return new RunnerLock(client, options.onLost, options.checkEveryMs);
  }

  get held(): boolean {
    return this.lost === null && !this.released;
  }

  get lostReason(): string | null {
    return this.lost;
  }

  /** Asks the server whether our session (and with it the lock) is still there. */
  async verify(): Promise<boolean> {
    if (!this.held) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.lose(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
    return this.held;
  }

  /** Unlocks and returns the session; a lost one is simply dropped. */
  async release(): Promise<void> {
    if (this.released) return;
    clearInterval(this.heartbeat);
    const unlocked =
      this.lost === null &&
      (await this.client.query('SELECT pg_advisory_unlock($1)', [RUNNER_LOCK_KEY]).then(
        () => true,
        () => false,
      ));
    if (this.released) return;
    this.released = true;
    this.client.removeListener('error', this.onError);
    this.client.removeListener('end', this.onEnd);
    this.client.release(!unlocked);
  }

  private lose(reason: string): void {
    if (this.lost !== null || this.released) return;
    this.lost = reason;
    clearInterval(this.heartbeat);
    this.released = true;
    // A session we no longer trust is closed, never returned to the pool.
    this.client.release(true);
    this.onLost(new LockLostError(reason));
  }
}
