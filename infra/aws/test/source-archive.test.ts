import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { AIRFLOW_HOST_SOURCES, buildSourceArchive, collectFiles, PANEL_SOURCES, tarFiles } from '../lib/source-archive';

describe('the source archives the instances build from', () => {
  let root: string;
  let out: string;
  const write = (path: string, content: string, mode = 0o644): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), mode);
  };
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'stockflow-archive-src-'));
    out = mkdtempSync(join(tmpdir(), 'stockflow-archive-out-'));
    write('server/a.ts', 'export const a = 1;\n');
    write('server/a.test.ts', 'test');
    write('server/node_modules/x/index.js', 'x');
    write('infra/airflow/.env', 'SECRET=1');
    write('infra/airflow/.env.example', 'KEY=');
    write('infra/airflow/certs/global-bundle.pem', 'pem');
    write('infra/airflow/dags/__pycache__/x.pyc', 'pyc');
    write('bin/run.sh', '#!/bin/sh\n', 0o775);
    // Longer than a tar header's 100-byte name field: goes through the ustar prefix.
    write(`app/(panel)/${'deeply-nested-route/'.repeat(6)}page.tsx`, 'export default function Page() { return null; }\n');
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('ship sources, never secrets, certificates, tests, caches or node_modules', () => {
    assert.deepEqual(collectFiles(['server', 'infra/airflow', 'bin', 'missing-root'], root), ['bin/run.sh', 'infra/airflow/.env.example', 'server/a.ts']);
  });

  it('unpack with tar to the same files and modes', () => {
    const files = collectFiles(['server', 'bin', 'app'], root);
    const archive = join(out, 'a.tar');
    writeFileSync(archive, tarFiles(files, root));
    const target = join(out, 'unpacked');
    mkdirSync(target);
    execFileSync('tar', ['-xf', archive, '-C', target]);
    for (const file of files) assert.equal(readFileSync(join(target, file), 'utf8'), readFileSync(join(root, file), 'utf8'), file);
    assert.equal(statSync(join(target, 'bin/run.sh')).mode & 0o777, 0o755);
    assert.equal(statSync(join(target, 'server/a.ts')).mode & 0o777, 0o644);
    assert.deepEqual(execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n'), files);
  });

  it('are deterministic: same checkout, same hash (an unchanged checkout never replaces an instance)', () => {
    const first = buildSourceArchive('test', ['server', 'bin'], root);
    const again = buildSourceArchive('test', ['server', 'bin'], root);
    assert.equal(first.hash, again.hash);
    write('server/a.ts', 'export const a = 2;\n');
    assert.notEqual(buildSourceArchive('test', ['server', 'bin'], root).hash, first.hash);
    assert.ok(gunzipSync(readFileSync(first.path)).length % 512 === 0);
  });

  it('hold what the Airflow image and the panel image copy', () => {
    const host = collectFiles(AIRFLOW_HOST_SOURCES);
    for (const file of [
      'package-lock.json',
      'scripts/build-cli.mjs',
      'sql/insert_query.sql',
      'infra/airflow/Dockerfile',
      'infra/airflow/docker-compose.yaml',
      'infra/airflow/dags/stockflow_pipeline.py',
      'server/cli/main.ts',
      '.dockerignore',
    ]) {
      assert.ok(host.includes(file), `host: ${file}`);
    }
    assert.ok(!host.some((file) => file.startsWith('app/') || file.endsWith('.test.ts') || file.includes('/tests/')));
    const panel = collectFiles(PANEL_SOURCES);
    for (const file of ['next.config.ts', 'app/layout.tsx', 'bin/stockflow.js', 'infra/aws/panel.Dockerfile', 'server/config.ts']) assert.ok(panel.includes(file), `panel: ${file}`);
  });
});
