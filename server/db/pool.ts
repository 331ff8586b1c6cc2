import pg from 'pg';

import { type DatabaseTlsSettings, type PgSsl, resolvePgTls } from './tls';

export interface PoolOptions {
  max?: number;
  /** From `config.databaseTls`; the URL's own ssl parameters apply either way. */
  tls?: DatabaseTlsSettings | undefined;
  /** Server-side limits per connection (PostgreSQL's own timeouts): a stuck reader cannot hold locks. */
  statementTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
}

/**
 * The one place stockflow opens PostgreSQL connections: every client (queries, LISTEN, COPY) comes
 * from this pool, so all of them get the same TLS settings. Throws ConfigError for bad TLS settings
 * (an unreadable CA file, say) here, at start. numeric and bigint arrive as strings by default; keep
 * them exact, parse where needed.
 */
export function createPool(connectionString: string, options: number | PoolOptions = {}): pg.Pool {
  const { max = 10, tls = {}, statementTimeoutMs, idleInTransactionTimeoutMs } = typeof options === 'number' ? ({ max: options } as PoolOptions) : options;
  const resolved = resolvePgTls(connectionString, tls);
  const config: pg.PoolConfig = {
    connectionString: resolved.connectionString,
    ssl: resolved.attempts[0],
    max,
    application_name: 'stockflow',
    ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
    ...(idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: idleInTransactionTimeoutMs } : {}),
    ...(resolved.sslnegotiation ? { sslnegotiation: resolved.sslnegotiation } : {}),
  };
  const pool = resolved.attempts.length > 1 ? new FallbackPool(config, resolved.attempts) : new pg.Pool(config);
  // An idle client that loses its server must not crash the process.
  pool.on('error', (error: Error & { code?: string }) => {
    // 57P01: the server is shutting down (Ctrl-C reaches the embedded server too); nothing to report.
    if (error.code !== '57P01') console.error(`PostgreSQL pool: ${error.message}`);
  });
  return pool;
}

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * libpq's prefer/allow retry a refused connection with/without TLS. node-pg cannot, so the pool's
 * first connection tries each `ssl` in turn and keeps the first that works for all later clients.
 */
class FallbackPool extends pg.Pool {
  private chosen: Promise<void> | undefined;

  constructor(
    config: pg.PoolConfig,
    private readonly attempts: PgSsl[],
  ) {
    super(config);
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    // Not cached on failure: a server that is down now may be up at the next try.
    this.chosen ??= this.choose().catch((error: unknown) => {
      this.chosen = undefined;
      throw error;
    });
    if (!callback) return this.chosen.then(() => super.connect());
    this.chosen.then(
      () => super.connect(callback),
      (error: Error) => callback(error, undefined, () => {}),
    );
  }

  private async choose(): Promise<void> {
    const failures: Error[] = [];
    for (const ssl of this.attempts) {
      const probe = new pg.Client({ ...this.options, ssl });
      probe.on('error', () => {});
      try {
        await probe.connect();
        this.options.ssl = ssl;
        return;
      } catch (error) {
        failures.push(error instanceof Error ? error : new Error(String(error)));
      } finally {
        await probe.end().catch(() => {});
      }
    }
    const described = this.attempts.map((ssl, index) => `${ssl ? 'with TLS' : 'without TLS'}: ${failures[index]?.message}`);
    throw new Error(`PostgreSQL refused the connection ${described.join('; ')}`, { cause: failures.at(-1) });
  }
}
