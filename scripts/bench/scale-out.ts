/**
 * `npm run bench:scale`: the sharded pipeline as Airflow's mapped tasks run it, each step its own
 * `stockflow step` process (the CLI bundle), every process's peak RSS read by GNU time:
 *   - the real sample (../shared/data) as 1, 2 and 4 shards;
 *   - a synthetic batch of SCALE_FILES files (default 100,000, SCALE_ROWS rows each) as 8 shards,
 *     then run again unchanged (every file skipped).
 * Prints Markdown tables for docs/SCALING.md. Needs /usr/bin/time (Debian package `time`).
 * SCALE_ONLY=sample|synthetic runs one part; SCALE_KEEP=1 keeps the synthetic batch and database.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import pg from 'pg';

const SAMPLE = resolve(process.env.STOCKFLOW_SAMPLE_DIR ?? '../shared/data');
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SCALE_FILES = Number(process.env.SCALE_FILES ?? 100_000);
const SCALE_ROWS = Number(process.env.SCALE_ROWS ?? 20);
const BIN = resolve('bin/stockflow.js');

interface StepRun {
  seconds: number;
  peakRssMb: number;
  stdout: string;
}

/** One CLI process under GNU time: wall seconds and peak RSS (MB). */
function step(args: string[], env: Record<string, string>): Promise<StepRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'peak-rss-kb=%M', process.execPath, BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const rss = /peak-rss-kb=(\d+)/.exec(stderr);
      if (code !== 0 || !rss) return reject(new Error(`stockflow ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      resolvePromise({ seconds: (performance.now() - started) / 1000, peakRssMb: Number(rss[1]) / 1024, stdout });
    });
  });
}

interface ShardedRun {
  label: string;
  shards: number;
  files: number;
  rows: number;
  phases: Array<{ phase: string; seconds: number; peakRssMb: number }>;
  totalSeconds: number;
  unchanged: number;
}

async function shardedRun(label: string, env: Record<string, string>, runId: string, conf: Record<string, unknown>): Promise<ShardedRun> {
  const common = ['--run-id', runId, '--conf', JSON.stringify(conf)];
  const started = performance.now();
  const phases: ShardedRun['phases'] = [];
  const discovered = await step(['step', 'discover', ...common], env);
  phases.push({ phase: 'discover', seconds: discovered.seconds, peakRssMb: discovered.peakRssMb });
  const shards = JSON.parse(discovered.stdout.trim().split('\n').at(-1)!) as string[];
  for (const name of ['transform', 'load']) {
    const phaseStart = performance.now();
    const runs = await Promise.all(shards.map((shard) => step(['step', name, ...common, '--shard', shard], env)));
    phases.push({ phase: `${name} ×${shards.length}`, seconds: (performance.now() - phaseStart) / 1000, peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)) });
  }
  const notified = await step(['step', 'notify', ...common], env);
  phases.push({ phase: 'notify (publishes Output/)', seconds: notified.seconds, peakRssMb: notified.peakRssMb });
  const database = new pg.Client({ connectionString: env.DATABASE_URL });
  await database.connect();
  const summary = (
    await database.query<{ summary: { status: string; rows: { loaded: number }; files: { found: number; unchanged: number } } }>('SELECT summary FROM stockflow.runs WHERE id = $1', [runId])
  ).rows[0]!.summary;
  const table = Number((await database.query<{ n: string }>('SELECT count(*) AS n FROM historical_stocks_data')).rows[0]!.n);
  await database.end();
  if (summary.status !== 'success') throw new Error(`${label}: run ${runId} ended ${summary.status}`);
  return { label, shards: shards.length, files: summary.files.found, rows: table, phases, totalSeconds: (performance.now() - started) / 1000, unchanged: summary.files.unchanged };
}

async function freshProduct(name: string): Promise<{ env: Record<string, string>; dataDir: string }> {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const dataDir = await mkdtemp(join(tmpdir(), `stockflow-${name}-`));
  return { env: { DATABASE_URL: url.toString(), STOCKFLOW_DATA_DIR: dataDir, STOCKFLOW_CONCURRENCY: '8' }, dataDir };
}

/** SCALE_FILES small files written straight into the folder bucket, all of them listed. */
async function syntheticBatch(dataDir: string): Promise<void> {
  const stocks = join(dataDir, 'buckets/source/Stocks');
  await mkdir(stocks, { recursive: true });
  await mkdir(join(dataDir, 'buckets/source/CompanyNames'), { recursive: true });
  const names: string[] = [];
  const day = (offset: number): string => new Date(Date.UTC(2000, 0, 3) + offset * 86_400_000).toISOString().slice(0, 10);
  for (let start = 0; start < SCALE_FILES; start += 500) {
    const writes: Array<Promise<void>> = [];
    for (let position = start; position < Math.min(SCALE_FILES, start + 500); position += 1) {
      const name = `s${String(position).padStart(6, '0')}.us.txt`;
      names.push(`'${name}'`);
      let text = 'Date,Open,High,Low,Close,Volume,OpenInt\n';
      for (let row = 0; row < SCALE_ROWS; row += 1) {
        const open = 10 + ((position + row) % 50) / 4;
        text += `${day(row)},${open},${open + 1},${open - 1},${open + 0.5},${1000 + row},0\n`;
      }
      writes.push(writeFile(join(stocks, name), text));
    }
    await Promise.all(writes);
  }
  await writeFile(join(dataDir, 'buckets/source/CompanyNames/top_companies.txt'), `${names.join(', ')}\n`);
}

function table(runs: ShardedRun[]): string {
  const lines = ['| batch | shards | files | rows in table | phase | wall s | peak RSS MB (largest process) |', '|---|---|---|---|---|---|---|'];
  for (const run of runs) {
    for (const phase of run.phases) {
      lines.push(
        `| ${run.label} | ${run.shards} | ${run.files}${run.unchanged ? ` (${run.unchanged} unchanged)` : ''} | ${run.rows} | ${phase.phase} | ${phase.seconds.toFixed(1)} | ${phase.peakRssMb.toFixed(0)} |`,
      );
    }
    lines.push(`| ${run.label} | ${run.shards} | | | **whole run** | **${run.totalSeconds.toFixed(1)}** | |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  // bin/stockflow.js falls back to tsx when build/cli/ is older than the sources, and tsx adds
  // ~100 MB to every process measured: build the bundle first, as `npm ci` does.
  await import('../build-cli.mjs').then((module) => module.buildLocalCli());
  const runs: ShardedRun[] = [];
  const only = process.env.SCALE_ONLY;
  if (only !== 'synthetic') {
    for (const shards of [1, 2, 4]) {
      const { env, dataDir } = await freshProduct(`stockflow_scale_sample_${shards}`);
      await step(['migrate'], env);
      await step(['seed', '--from', SAMPLE], env);
      runs.push(await shardedRun('real sample', env, `scale__sample_${shards}`, { shards }));
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  if (only !== 'sample') {
    const { env, dataDir } = await freshProduct('stockflow_scale_synthetic');
    await step(['migrate'], env);
    const started = performance.now();
    await syntheticBatch(dataDir);
    process.stderr.write(`wrote ${SCALE_FILES} files in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    runs.push(await shardedRun(`${SCALE_FILES} synthetic files`, env, 'scale__synthetic_1', { shards: 8 }));
    runs.push(await shardedRun(`${SCALE_FILES} synthetic files, again`, env, 'scale__synthetic_2', { shards: 8 }));
    // SCALE_KEEP=1 keeps the batch and its database, to run single steps again (profiles, --trace-gc).
    if (process.env.SCALE_KEEP === '1')
      process.stderr.write(
        `kept: ${Object.entries(env)
          .map(([key, value]) => `${key}=${value}`)
          .join(' ')}\n`,
      );
    else await rm(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; ${new Date().toISOString().slice(0, 10)}\n\n${table(runs)}\n`);
}

await main();
