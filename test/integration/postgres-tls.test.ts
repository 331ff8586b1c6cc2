import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import type pg from 'pg';

import { ConfigError, loadConfig } from '../../server/config';
import { migrate } from '../../server/db/migrate';
import { createPool } from '../../server/db/pool';
import { readMigrations } from '../../server/db/sql-files';
import { TEST_SERVER_URL } from '../helpers/postgres';
import { makeTestCa, type OwnPostgres, startOwnPostgres } from '../helpers/tls-postgres';

const run = promisify(execFile);

/** A pool the way the product opens one: from the environment, through loadConfig. */
function poolFor(env: Record<string, string | undefined>): pg.Pool {
  const config = loadConfig(env);
  return createPool(config.databaseUrl!, { tls: config.databaseTls });
}

/** Connects, and says whether the session is encrypted (PostgreSQL's own view of it). */
async function sslOf(env: Record<string, string | undefined>): Promise<boolean> {
  const pool = poolFor(env);
  try {
    const result = await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return result.rows[0]!.ssl;
  } finally {
    await pool.end();
  }
}

async function refusal(env: Record<string, string | undefined>): Promise<Error & { code?: string }> {
  const error = await sslOf(env).then(
    () => assert.fail('connected'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof Error);
  return error;
}

describe('PostgreSQL over TLS (own cluster: ssl=on, hostssl only, certificate for localhost + 127.0.0.1)', () => {
  let server: OwnPostgres;
  let caFile: string;
  let otherCaFile: string;
  let otherCaDir: string;
  before(async () => {
    server = await startOwnPostgres({ tls: {}, listen: ['127.0.0.1', '127.0.0.2'] });
    caFile = server.caFile!;
    otherCaDir = await mkdtemp(join(tmpdir(), 'stockflow-other-ca-'));
    otherCaFile = await makeTestCa(otherCaDir, 'other-ca');
  });
  after(async () => {
    await server?.stop();
    if (otherCaDir) await rm(otherCaDir, { recursive: true, force: true });
  });

  it('verify-full with the CA file connects encrypted, by IP and by name', async () => {
    assert.equal(await sslOf({ DATABASE_URL: server.url({ query: 'sslmode=verify-full' }), DATABASE_CA_FILE: caFile }), true);
    assert.equal(await sslOf({ DATABASE_URL: server.url({ host: 'localhost', query: 'sslmode=verify-full' }), PGSSLROOTCERT: caFile }), true);
    assert.equal(await sslOf({ DATABASE_URL: server.url({ query: `sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}` }) }), true);
  });

  it('verify-full refuses a host name the certificate does not carry; verify-ca accepts it', async () => {
    // 127.0.0.2 reaches the same server, but the certificate names only localhost and 127.0.0.1.
    const wrongHost = server.url({ host: '127.0.0.2', query: 'sslmode=verify-full' });
    const error = await refusal({ DATABASE_URL: wrongHost, DATABASE_CA_FILE: caFile });
    assert.equal(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID', error.message);
    assert.match(error.message, /127\.0\.0\.2/);
    assert.equal(await sslOf({ DATABASE_URL: server.url({ host: '127.0.0.2', query: 'sslmode=verify-ca' }), DATABASE_CA_FILE: caFile }), true);
  });

  it('verify-full and verify-ca refuse the server without its CA', async () => {
    const noCa = await refusal({ DATABASE_URL: server.url({ query: 'sslmode=verify-full' }) });
    assert.equal(noCa.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', noCa.message);
    const otherCa = await refusal({ DATABASE_URL: server.url({ query: 'sslmode=verify-ca' }), DATABASE_CA_FILE: otherCaFile });
    assert.equal(otherCa.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', otherCa.message);
  });

  it('require encrypts without verification, but checks a given CA (not the host name), like libpq', async () => {
    assert.equal(await sslOf({ DATABASE_URL: server.url({ query: 'sslmode=require' }) }), true);
    assert.equal(await sslOf({ DATABASE_URL: server.url({ host: '127.0.0.2', query: 'sslmode=require' }), DATABASE_CA_FILE: caFile }), true);
    const wrongCa = await refusal({ DATABASE_URL: server.url({ query: 'sslmode=require' }), DATABASE_CA_FILE: otherCaFile });
    assert.equal(wrongCa.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', wrongCa.message);
  });

  it('disable (and no sslmode at all) is plain, which this server refuses', async () => {
    for (const url of [server.url({ query: 'sslmode=disable' }), server.url()]) {
      const error = await refusal({ DATABASE_URL: url });
      assert.match(error.message, /no pg_hba\.conf entry .* no encryption/);
    }
  });

  it('prefer and allow end up encrypted here, and prefer falls back to plain on a server without TLS', async () => {
    assert.equal(await sslOf({ DATABASE_URL: server.url({ query: 'sslmode=prefer' }) }), true);
    assert.equal(await sslOf({ DATABASE_URL: server.url({ query: 'sslmode=allow' }) }), true);
    // The shared test server runs without ssl.
    const plainServer = new URL(TEST_SERVER_URL);
    plainServer.searchParams.set('sslmode', 'prefer');
    assert.equal(await sslOf({ DATABASE_URL: plainServer.toString() }), false);
    const required = await refusal({ DATABASE_URL: plainServer.toString().replace('sslmode=prefer', 'sslmode=require') });
    assert.match(required.message, /does not support SSL/);
  });

  it('prefer serves concurrent dedicated clients (pool.connect), and reports both tries when both fail', async () => {
    const pool = poolFor({ DATABASE_URL: server.url({ query: 'sslmode=prefer' }) });
    try {
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      for (const client of clients) {
        assert.equal((await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0].ssl, true);
        client.release();
      }
    } finally {
      await pool.end();
    }
    const nobody = await refusal({ DATABASE_URL: 'postgres://stockflow@127.0.0.1:1/postgres?sslmode=prefer' });
    assert.match(nobody.message, /with TLS: .*ECONNREFUSED.*; without TLS: .*ECONNREFUSED/);
  });

  it('a missing CA file is a configuration error naming the variable and the path', () => {
    const missing = join(server.dir, 'no-such-bundle.pem');
    assert.throws(
      () => poolFor({ DATABASE_URL: server.url({ query: 'sslmode=verify-full' }), DATABASE_CA_FILE: missing }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(`DATABASE_CA_FILE: cannot read ${missing} (ENOENT)`),
    );
  });

  it('migrates over TLS, in process and through the CLI', async () => {
    const admin = poolFor({ DATABASE_URL: server.url({ query: 'sslmode=verify-full' }), DATABASE_CA_FILE: caFile });
    await admin.query('CREATE DATABASE tls_direct');
    await admin.query('CREATE DATABASE tls_cli');
    await admin.end();

    const pool = poolFor({ DATABASE_URL: server.url({ database: 'tls_direct', query: 'sslmode=verify-full' }), DATABASE_CA_FILE: caFile });
    try {
      const report = await migrate(pool);
      assert.equal(report.applied.length, readMigrations().length);
      const dedicated = await pool.connect();
      try {
        const ssl = await dedicated.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        assert.equal(ssl.rows[0].ssl, true);
      } finally {
        dedicated.release();
      }
    } finally {
      await pool.end();
    }

    const dataDir = await mkdtemp(join(tmpdir(), 'stockflow-tls-cli-'));
    try {
      const env = {
        NODE_ENV: 'test',
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        STOCKFLOW_DATA_DIR: dataDir,
        DATABASE_CA_FILE: caFile,
        DATABASE_URL: server.url({ database: 'tls_cli', query: 'sslmode=verify-full' }),
      } as NodeJS.ProcessEnv;
      await run(process.execPath, [resolve('bin/stockflow.js'), 'migrate'], { env });
      const check = poolFor({ DATABASE_URL: server.url({ database: 'tls_cli', query: 'sslmode=require' }) });
      const applied = await check.query('SELECT count(*)::int AS n FROM stockflow.schema_migrations');
      await check.end();
      assert.equal(applied.rows[0].n, readMigrations().length);

      const failed = await run(process.execPath, [resolve('bin/stockflow.js'), 'migrate'], { env: { ...env, DATABASE_CA_FILE: join(dataDir, 'missing.pem') } }).then(
        () => assert.fail('migrate ran without its CA file'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(failed.stderr, /DATABASE_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
