/**
 * `npm run bench`: the pipeline end to end on the real sample (../shared/data), from a folder and
 * from an S3-compatible server, beside two references measured in the same run:
 *   (a) the database's own way to the same end state: psql \copy of the produced CSV into a bare
 *       table, then the same key and indexes built once;
 *   (b) a pandas + psycopg2 script doing the same job.
 * It also times the two load mechanisms (incremental and bulk) replacing a full batch.
 * Prints a Markdown table to paste into BENCHMARKS.md.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline as pipelineStreams } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import S3rver from 's3rver';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { PgStockTable } from '../../server/adapters/pg-stock-table';
import { S3ObjectStore } from '../../server/adapters/s3-object-store';
import { SessionStore } from '../../server/auth/sessions';
import { UserRepository } from '../../server/auth/users';
import { ensureWebBuild } from '../../server/cli/web-server';
import { loadCompanyChart } from '../../server/read-models/company-chart';
import { inlineParameters, namesNeedGuard, selectOf } from '../../server/read-models/data-export';
import { filterClause, loadDataPage, orderClause, parseDataQuery, visibleColumns } from '../../server/read-models/data-page';
import { loadDataSummary } from '../../server/read-models/data-summary';
import { seedFromFolder } from '../../server/seed/from-folder';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLE = resolve(process.env.STOCKFLOW_SAMPLE_DIR ?? '../shared/data');
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PSQL = process.env.PSQL ?? 'psql';
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

interface Measurement {
  name: string;
  seconds: number;
  rows: number;
  peakRssKb: number | null;
  /** The run process's own CPU (user + system), when it reports it. */
  cpuSeconds?: number;
  /** What the run said of itself (pipeline runs). */
  summary?: RunReport;
}

/** The parts of a run's summary the bench reads. */
interface RunReport {
  status: string;
  rows: { loaded: number };
  files: { found: number; unchanged: number };
  changes: { totals: { added: number; changed: number; removed: number } } | null;
}

function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function freshDatabase(base: string): Promise<string> {
  // BENCH_DB_SUFFIX keeps two benches on one server (two worktrees) out of each other's databases.
  const name = `${base}${process.env.BENCH_DB_SUFFIX ?? ''}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return databaseUrl(name);
}

let benchRun: Promise<string> | null = null;
function benchRunBundle(): Promise<string> {
  benchRun ??= import('../build-cli.mjs').then((module) => module.buildBenchRun());
  return benchRun;
}

/** Async on purpose: s3rver runs in this process and must keep serving while the child runs. */
async function runPipelineProcess(name: string, env: Record<string, string>): Promise<Measurement> {
  progress(name);
  // Compiled like the CLI (build/cli/): tsx would add ~100 MB of its own to the peak RSS measured.
  // BENCH_NODE_ARGS: node flags for the run's process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, await benchRunBundle()], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${name} failed: ${stderr}`);
  if (process.env.BENCH_PHASES === '1') process.stderr.write(stderr);
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { summary: RunReport; seconds: number; cpuSeconds: number; peakRssKb: number };
  if (report.summary.status !== 'success') throw new Error(`${name}: run ${report.summary.status}`);
  return { name, seconds: report.seconds, rows: report.summary.rows.loaded, peakRssKb: report.peakRssKb, cpuSeconds: report.cpuSeconds, summary: report.summary };
}

/** Runs a psql script (SQL statements ending in ';' and \\copy lines) fed on stdin. */
function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function psql(url: string, script: string): string {
  return execFileSync(PSQL, [url, '-v', 'ON_ERROR_STOP=1', '-qAt', '-f', '-'], { encoding: 'utf8', input: script });
}

const pools: pg.Pool[] = [];
function copyPool(url: string, max = 3): pg.Pool {
  // The load's session, the one filling the new table and a second index-building one (bulk path).
  const pool = new pg.Pool({ connectionString: url, max });
  pools.push(pool);
  return pool;
}
async function closePools(): Promise<void> {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
}

async function queryRows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function timedAsync<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

function timed<T>(work: () => T): { value: T; seconds: number } {
  const started = performance.now();
  const value = work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

interface PanelTiming {
  name: string;
  medianMs: number;
  rows: number;
}

let panelTimings: PanelTiming[] = [];

async function median(times: number, work: () => Promise<number>): Promise<{ ms: number; rows: number }> {
  const samples: number[] = [];
  let rows = 0;
  await work(); // warm the cache and the connection once, as a server that has been up would be
  for (let index = 0; index < times; index += 1) {
    const started = performance.now();
    rows = await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)]!, rows };
}

/** Server time of the control panel's heavy reads on the loaded sample (issue 4 target: < 100 ms). */
async function measurePanel(url: string): Promise<PanelTiming[]> {
  progress('control panel reads on the loaded table');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const timings: PanelTiming[] = [];
    // The overview's whole-table figures: computed by the first view after a load (a full scan),
    // then read from what that view kept until the next load (migration 022).
    const coldStarted = performance.now();
    const cold = await loadDataSummary(pool);
    timings.push({ name: 'overview figures: first view after the load (scans the table, keeps the result)', medianMs: performance.now() - coldStarted, rows: cold.rows });
    const kept = await median(7, async () => (await loadDataSummary(pool)).rows);
    timings.push({ name: 'overview figures: every later view until the next load', medianMs: kept.ms, rows: kept.rows });
    const first = await median(7, async () => (await loadDataPage(pool, {})).rows.length);
    timings.push({ name: 'data page: first page (unfiltered, newest first, estimated total)', medianMs: first.ms, rows: first.rows });
    // A cursor half a million rows into a filtered, sorted view (found once, not timed).
    const filter = { from: '2005-01-01', to: '2015-12-31', closeMin: '5', sort: 'close_value', dir: 'asc', size: '100' };
    const deep = await pool.query<{ close_value: string; company_name: string; stock_date: string }>(
      `SELECT close_value::text, company_name, stock_date::text FROM historical_stocks_data
        WHERE stock_date BETWEEN '2005-01-01' AND '2015-12-31' AND close_value >= 5
        ORDER BY close_value, company_name, stock_date OFFSET 500000 LIMIT 1`,
    );
    const row = deep.rows[0]!;
    const after = Buffer.from(JSON.stringify({ value: row.close_value, company: row.company_name, date: row.stock_date })).toString('base64url');
    const deepPage = await median(7, async () => (await loadDataPage(pool, { ...filter, after })).rows.length);
    timings.push({ name: 'data page: filtered (dates, close) and sorted by close, 500,000 rows deep', medianMs: deepPage.ms, rows: deepPage.rows });
    // Unfiltered sorts by the derived columns, both directions (issue #11 target: under 50 ms).
    for (const sort of ['value_change', 'daily_percent_change'] as const) {
      for (const dir of ['desc', 'asc'] as const) {
        const sorted = await median(7, async () => (await loadDataPage(pool, { sort, dir })).rows.length);
        timings.push({ name: `data page: unfiltered, sorted by ${sort} ${dir}`, medianMs: sorted.ms, rows: sorted.rows });
      }
    }
    const busiest = await pool.query<{ company_name: string }>('SELECT company_name FROM historical_stocks_data GROUP BY 1 ORDER BY count(*) DESC LIMIT 1');
    const company = busiest.rows[0]!.company_name;
    const chart = await median(7, async () => (await loadCompanyChart(pool, company, {}))!.points.length);
    timings.push({ name: `company chart: ${company} (longest history), all dates, downsampled`, medianMs: chart.ms, rows: chart.rows });
    return timings;
  } finally {
    await pool.end();
  }
}

/** Wall time of whole CLI processes: what every Airflow task pays before its step starts (issue #11: under 0.5 s). */
async function measureCli(databaseUrl: string): Promise<Array<{ name: string; ms: number }>> {
  progress('CLI start-up');
  // bin/stockflow.js falls back to tsx when the bundle is older than the sources: measure what ships.
  await (await import('../build-cli.mjs')).buildLocalCli();
  const wall = (args: string[]): number => {
    const samples: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const started = performance.now();
      execFileSync(process.execPath, ['bin/stockflow.js', ...args], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'ignore' });
      samples.push(performance.now() - started);
    }
    return samples.sort((a, b) => a - b)[2]!;
  };
  return [
    { name: 'stockflow --help', ms: wall(['--help']) },
    { name: 'stockflow migrate (opens the database, checks the schema)', ms: wall(['migrate']) },
  ];
}

/**
 * (a) The database's own way to the same end state: \\copy of the produced CSV into a bare table,
 * then the same key and indexes the real table has, built once (in a fresh, migrated database).
 */
async function fairReference(producedCsv: string): Promise<{ copyDb: string; indexes: Array<{ definition: string; primary: boolean }>; copiedRows: number; measurement: Measurement }> {
  const copyDb = await freshDatabase('stockflow_bench_copy');
  execFileSync(process.execPath, ['bin/stockflow.js', 'migrate'], { env: { ...process.env, DATABASE_URL: copyDb } });
  const indexes = await queryRows<{ definition: string; primary: boolean }>(
    copyDb,
    `SELECT pg_get_indexdef(indexrelid) AS definition, indisprimary AS primary FROM pg_index WHERE indrelid = 'public.historical_stocks_data'::regclass`,
  );
  const fairScript = [
    'CREATE TABLE public.bench_bare (LIKE public.historical_stocks_data INCLUDING DEFAULTS);',
    `\\copy public.bench_bare FROM '${producedCsv}' WITH (FORMAT csv)`,
    'ALTER TABLE public.bench_bare ADD PRIMARY KEY (company_name, stock_date);',
    ...indexes.filter((index) => !index.primary).map((index) => `${index.definition.replace(/INDEX (\S+) ON (ONLY )?public\.historical_stocks_data /, 'INDEX $1_bare ON public.bench_bare ')};`),
  ].join('\n');
  const fair = timed(() => psql(copyDb, fairScript));
  const copiedRows = Number(psql(copyDb, 'SELECT count(*) FROM public.bench_bare').trim());
  const measurement = { name: `(a) psql \\copy into a bare table, then the key and ${indexes.length - 1} indexes built (database limit)`, seconds: fair.seconds, rows: copiedRows, peakRssKb: null };
  return { copyDb, indexes, copiedRows, measurement };
}

/**
 * BENCH_ONLY=first-load: only the first load from a folder and reference (a), alternated
 * BENCH_REPEAT times (default 3) in one process, so each ratio compares runs made moments apart.
 * BENCH_PHASES=1 also prints each run's log lines with their times (where the time goes).
 */
async function firstLoadOnly(work: string): Promise<void> {
  const repeat = Number(process.env.BENCH_REPEAT ?? 3);
  const folderBucket = join(work, 'folder-bucket');
  await seedFromFolder(new FolderObjectStore(folderBucket), SAMPLE);
  const producedCsv = join(folderBucket, 'Output/historical_stock_data.csv');
  const lines = ['| try | stockflow run, folder bucket (s) | (a) \\copy + key + indexes (s) | ratio | peak RSS MB |', '|---:|---:|---:|---:|---:|'];
  for (let attempt = 1; attempt <= repeat; attempt += 1) {
    const folderDb = await freshDatabase('stockflow_bench_folder');
    const run = await runPipelineProcess(`stockflow run, folder bucket (${attempt}/${repeat})`, { DATABASE_URL: folderDb, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
    progress(`reference (a) (${attempt}/${repeat})`);
    const { measurement } = await fairReference(producedCsv);
    lines.push(
      `| ${attempt} | ${run.seconds.toFixed(2)} | ${measurement.seconds.toFixed(2)} | ${(run.seconds / measurement.seconds).toFixed(2)}× | ${run.peakRssKb === null ? '–' : (run.peakRssKb / 1024).toFixed(0)} |`,
    );
    progress(lines.at(-1)!);
  }
  process.stdout.write(`Date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n\n${lines.join('\n')}\n`);
}

/** The S3 source through s3rver (in this process, its CPU on the same cores): seeded with the sample, and the env a run needs. */
async function startSampleS3(work: string): Promise<{ s3: S3rver; env: Record<string, string> }> {
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(work, 's3') });
  // BENCH_S3_LATENCY_MS: every request waits this long before s3rver answers it (S3's own first-byte
  // latency for small objects is tens of milliseconds; on loopback it is none). First in the chain.
  // Off while the bench seeds the bucket.
  const latency = { ms: 0 };
  s3.middleware.unshift((_context, next) => (latency.ms > 0 ? sleep(latency.ms).then(next) : next()));
  const { port } = (await s3.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: 'bench-source' }));
  await seedFromFolder(new S3ObjectStore({ bucket: 'bench-source', prefix: '', endpoint, region: 'us-east-1', forcePathStyle: true }, client), SAMPLE);
  client.destroy();
  latency.ms = Number(process.env.BENCH_S3_LATENCY_MS ?? 0);
  const env = { STOCKFLOW_SOURCE: 's3://bench-source', S3_ENDPOINT: endpoint, STOCKFLOW_DATA_DIR: work, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  return { s3, env };
}

/**
 * Checkpoints the server has begun so far (PostgreSQL 17 moved the counters to pg_stat_checkpointer):
 * a run that meets more of them than its pair pays their writes and fsyncs.
 */
async function serverCheckpoints(): Promise<number> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    const view = (await client.query<{ name: string | null }>("SELECT to_regclass('pg_catalog.pg_stat_checkpointer')::text AS name")).rows[0]!.name;
    const sql = view ? 'SELECT num_timed + num_requested AS n FROM pg_stat_checkpointer' : 'SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter';
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/**
 * BENCH_ONLY=s3: the first load from a folder and from s3rver, alternated BENCH_REPEAT times
 * (default 3), each pair's ratio printed (issue #11: the S3 path within 1.2× of the folder path).
 */
async function s3Only(work: string): Promise<void> {
  const repeat = Number(process.env.BENCH_REPEAT ?? 3);
  const folderBucket = join(work, 'folder-bucket');
  await seedFromFolder(new FolderObjectStore(folderBucket), SAMPLE);
  const { s3, env } = await startSampleS3(work);
  const lines = [
    '| try | folder bucket (s) | S3 bucket, s3rver (s) | ratio | stockflow CPU s folder / S3 | s3rver CPU s | peak RSS MB folder / S3 | server checkpoints folder / S3 |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  try {
    for (let attempt = 1; attempt <= repeat; attempt += 1) {
      // Both databases first: dropping one makes the server checkpoint, which would count against a run.
      const folderDatabase = await freshDatabase('stockflow_bench_folder');
      const database = await freshDatabase('stockflow_bench_s3');
      const checkpointsBefore = await serverCheckpoints();
      const folder = await runPipelineProcess(`stockflow run, folder bucket (${attempt}/${repeat})`, { DATABASE_URL: folderDatabase, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
      const checkpointsBetween = await serverCheckpoints();
      // This process's CPU during the S3 run is s3rver's: work a real S3 would do on its own machines.
      const cpuBefore = process.cpuUsage();
      const overS3 = await runPipelineProcess(`stockflow run, S3 bucket (${attempt}/${repeat})`, { DATABASE_URL: database, ...env });
      const { user, system } = process.cpuUsage(cpuBefore);
      const checkpointsAfter = await serverCheckpoints();
      const mb = (run: Measurement): string => (run.peakRssKb === null ? '–' : (run.peakRssKb / 1024).toFixed(0));
      lines.push(
        `| ${attempt} | ${folder.seconds.toFixed(2)} | ${overS3.seconds.toFixed(2)} | ${(overS3.seconds / folder.seconds).toFixed(2)}× | ${folder.cpuSeconds!.toFixed(2)} / ${overS3.cpuSeconds!.toFixed(2)} | ${((user + system) / 1e6).toFixed(2)} | ${mb(folder)} / ${mb(overS3)} | ${checkpointsBetween - checkpointsBefore} / ${checkpointsAfter - checkpointsBetween} |`,
      );
      progress(lines.at(-1)!);
    }
  } finally {
    await s3.close();
  }
  process.stdout.write(`Date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n\n${lines.join('\n')}\n`);
}

/**
 * BENCH_ONLY=queued-loads: one folder run, then three incremental loads started together (shards
 * of a run as Airflow maps them), each replacing an eighth of the companies with their rows and one more day,
 * queued on the table lock: when each committed, when each step ended, which one vacuumed.
 */
async function queuedLoadsOnly(work: string): Promise<void> {
  const folderBucket = join(work, 'folder-bucket');
  await seedFromFolder(new FolderObjectStore(folderBucket), SAMPLE);
  const url = await freshDatabase('stockflow_bench_folder');
  await runPipelineProcess('stockflow run, folder bucket', { DATABASE_URL: url, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
  // Three loads at once, each with its session.
  const pool = copyPool(url, 8);
  const companies = (await pool.query<{ name: string }>('SELECT DISTINCT company_name AS name FROM historical_stocks_data ORDER BY 1')).rows.map((row) => row.name);
  const shards = [0, 1, 2].map((shard) => companies.filter((_, index) => index % 8 === shard));
  // Each company's history as the table holds it plus one more trading day (its last day again, a
  // day later): what a daily batch brings.
  const csvOf = async (names: string[]): Promise<{ text: string; rows: number }> => {
    const rows = await pool.query<{ line: string }>(
      `WITH batch AS (
         SELECT * FROM historical_stocks_data WHERE company_name = ANY($1)
         UNION ALL
         (SELECT DISTINCT ON (company_name) stock_date + 1, open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change, company_name
            FROM historical_stocks_data WHERE company_name = ANY($1) ORDER BY company_name, stock_date DESC)
       )
       SELECT concat_ws(',', stock_date, open_value, high_value, low_value, close_value, volume_traded, coalesce(daily_percent_change::text, ''), value_change, company_name) AS line
         FROM batch ORDER BY company_name, stock_date`,
      [names],
    );
    return { text: rows.rows.map((row) => `${row.line}\n`).join(''), rows: rows.rowCount ?? 0 };
  };
  const batches = await Promise.all(shards.map(csvOf));
  const table = new PgStockTable(pool);
  const started = performance.now();
  const since = (): string => ((performance.now() - started) / 1000).toFixed(1);
  const lines = ['| load | rows | added / changed / removed | committed at (s) | step ended at (s) | after its commit |', '|---:|---:|---:|---:|---:|---|'];
  await Promise.all(
    shards.map(async (names, shard) => {
      await sleep(shard * 50);
      const session = await table.beginReplace(names, { estimatedRows: batches[shard]!.rows });
      session.rows.end(batches[shard]!.text);
      let committedAt = '';
      let housekeeping = '';
      const result = await session.commit(batches[shard]!.rows, {
        onPhase: (phase) => {
          if (phase === 'committing') committedAt = since();
          else if (committedAt) housekeeping = phase;
        },
      });
      const { added, changed, removed } = result.changes.totals;
      lines.push(`| ${shard + 1} | ${batches[shard]!.rows} | ${added} / ${changed} / ${removed} | ${committedAt} | ${since()} | ${housekeeping} |`);
    }),
  );
  await closePools();
  process.stdout.write(`Date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n\n${lines.join('\n')}\n`);
}

/**
 * A daily batch for a tenth of the companies (BENCH_DAILY_EVERY=1: every company, the bucket of a
 * source that adds a day to every file): their files bring one more day, the rest are unchanged.
 */
async function dailyRerun(folderBucket: string, folderDb: string, work: string): Promise<Measurement> {
  const appended = appendOneDay(join(folderBucket, 'Stocks'), Number(process.env.BENCH_DAILY_EVERY ?? 10));
  const daily = await runPipelineProcess('stockflow run again, folder bucket, one more day', { DATABASE_URL: folderDb, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
  const added = daily.summary!.changes?.totals.added ?? 0;
  if (added !== appended) throw new Error(`the daily re-run added ${added} rows, not ${appended}`);
  return { ...daily, name: `${daily.name} in ${appended} of ${daily.summary!.files.found} files (${daily.summary!.files.unchanged} skipped, ${added} rows added)` };
}

/** BENCH_ONLY=daily: one folder run, then BENCH_REPEAT (default 3) daily re-runs, each a day more for a tenth of the files (BENCH_DAILY_EVERY). */
async function dailyOnly(work: string): Promise<void> {
  const folderBucket = join(work, 'folder-bucket');
  await seedFromFolder(new FolderObjectStore(folderBucket), SAMPLE);
  const folderDb = await freshDatabase('stockflow_bench_folder');
  await runPipelineProcess('stockflow run, folder bucket', { DATABASE_URL: folderDb, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
  const lines = ['| try | what | wall s | rows loaded | peak RSS MB |', '|---:|---|---:|---:|---:|'];
  for (let attempt = 1; attempt <= Number(process.env.BENCH_REPEAT ?? 3); attempt += 1) {
    const daily = await dailyRerun(folderBucket, folderDb, work);
    lines.push(`| ${attempt} | ${daily.name} | ${daily.seconds.toFixed(2)} | ${daily.rows} | ${daily.peakRssKb === null ? '–' : (daily.peakRssKb / 1024).toFixed(0)} |`);
    progress(lines.at(-1)!);
  }
  process.stdout.write(`Date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n\n${lines.join('\n')}\n`);
}

/** Appends a copy of the last line, a day later, to every `every`-th file (by name) of `folder`; returns how many. */
function appendOneDay(folder: string, every: number): number {
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.csv'))
    .sort()
    .filter((_, index) => index % every === 0);
  let appended = 0;
  for (const name of files) {
    const path = join(folder, name);
    const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter(Boolean);
    const last = lines.at(-1)!;
    if (!/^\d{4}-\d{2}-\d{2},/.test(last)) continue;
    const next = new Date(Date.parse(`${last.slice(0, 10)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    appendFileSync(path, `${next}${last.slice(10)}\r\n`);
    appended += 1;
  }
  return appended;
}

/** BENCH_ONLY=export: one folder run, then the CSV export over HTTP on its table. */
async function exportOnly(work: string): Promise<void> {
  const folderBucket = join(work, 'folder-bucket');
  await seedFromFolder(new FolderObjectStore(folderBucket), SAMPLE);
  const folderDb = await freshDatabase('stockflow_bench_folder');
  await runPipelineProcess('stockflow run, folder bucket', { DATABASE_URL: folderDb, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
  exportTimings = await measureExport(folderDb, { STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
  process.stdout.write(`Date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n\n${exportTable()}\n`);
}

let cliTimings: Array<{ name: string; ms: number }> = [];

interface ExportTiming {
  name: string;
  /** Median of the runs, by wall time. */
  seconds: number;
  bytes: number;
  /** Bytes on the wire (smaller when compressed). */
  sentBytes: number;
  rows: number;
  /** The database's own COPY of the same rows into /dev/null through psql (the limit), when measured. */
  copySeconds: number | null;
}
let exportTimings: ExportTiming[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/**
 * One GET read to its end as fast as the socket gives it: CSV bytes, CSV rows (lines past the
 * header), wall time, and the content encoding the server chose (decoded here when compressed).
 */
function download(url: string, cookie: string, acceptEncoding?: string): Promise<{ bytes: number; sentBytes: number; rows: number; seconds: number; encoding: string }> {
  return new Promise((resolveDownload, reject) => {
    const started = performance.now();
    // A connection of its own: a kept-alive one may have been closed by the server while curl ran.
    httpGet(url, { agent: false, headers: { cookie, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`GET ${url}: HTTP ${response.statusCode}`));
        return;
      }
      // A .csv.gz file (gzip=1) is read as the CSV it holds, like a transfer encoding.
      const encoding = response.headers['content-encoding'] ?? (response.headers['content-type'] === 'application/gzip' ? 'gzip' : 'identity');
      const decoders: Record<string, () => Transform> = { gzip: createGunzip, deflate: createInflate, br: createBrotliDecompress };
      const body: Readable = decoders[encoding] ? response.pipe(decoders[encoding]()) : response;
      let sentBytes = 0;
      response.on('data', (chunk: Buffer) => (sentBytes += chunk.length));
      let bytes = 0;
      let lines = 0;
      body.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      });
      body.on('end', () => resolveDownload({ bytes, sentBytes, rows: lines - 1, seconds: (performance.now() - started) / 1000, encoding }));
      body.on('error', reject);
    }).on('error', reject);
  });
}

/** Wall time of one download by curl, checked to be as long as the Node client's. */
function curlSeconds(url: string, cookie: string, expectBytes: number, acceptEncoding?: string): number {
  const headers = ['-H', `Cookie: ${cookie}`, ...(acceptEncoding ? ['-H', `Accept-Encoding: ${acceptEncoding}`] : [])];
  const output = execFileSync('curl', ['-sS', '-f', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', ...headers, url], { encoding: 'utf8' });
  const [size, seconds] = output.trim().split(' ').map(Number);
  if (size !== expectBytes) throw new Error(`GET ${url}: curl read ${size} bytes, the Node client ${expectBytes}`);
  return seconds!;
}

/**
 * The data page's CSV export over HTTP on the loaded table (issue #11: 100 MB/s or more): the
 * production control panel (`next build` when stale, then `next start`, as `stockflow start` runs
 * it) on the bench database, a viewer's session made in the database, and GET /api/data/export
 * read to its end by a plain HTTP client. Median of 3 per query; beside it the database's own
 * COPY of the same rows to /dev/null (psql), the most the export could do on this machine.
 */
async function measureExport(url: string, env: Record<string, string>): Promise<ExportTiming[]> {
  progress('CSV export over HTTP (next build if the panel build is stale)');
  ensureWebBuild({ log: (_level, message) => progress(message) });
  const port = await freePort();
  const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
  const web = spawn(process.execPath, [next, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, ...env, DATABASE_URL: url, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let waited = 0; ; waited += 250) {
      const up = await fetch(`${base}/login`).then(
        (response) => response.status < 500,
        () => false,
      );
      if (up) break;
      if (web.exitCode !== null || waited > 120_000) throw new Error('the control panel (next start) did not come up');
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
    const users = new UserRepository(pool);
    const username = `bench_${randomBytes(4).toString('hex')}`;
    const user = await users.add(username, randomBytes(18).toString('base64url'), 'viewer');
    const { cookie } = await new SessionStore(pool).create(user.id);
    // `reference`: also timed as psql's \copy of the export's own SELECT (one COPY stream).
    const cases: Array<{ name: string; query: string; reference: boolean; acceptEncoding?: string }> = [
      { name: 'data page export: whole table, default order (newest first)', query: '', reference: true },
      // What Chromium sends: the route's no-transform keeps Next.js from gzipping it (it did, at 22 MB/s).
      {
        name: 'data page export: whole table, default order, asked as a browser asks (Accept-Encoding: gzip, deflate, br, zstd)',
        query: '',
        reference: false,
        acceptEncoding: 'gzip, deflate, br, zstd',
      },
      { name: 'data page export: whole table, default order, as a .csv.gz file (gzip=1, level 1)', query: 'gzip=1', reference: false },
      { name: 'data page export: whole table sorted by company (primary key order)', query: 'sort=company_name&dir=asc', reference: true },
      {
        name: 'data page export: filtered (dates, close), sorted by close, 2 columns hidden',
        query: 'from=2005-01-01&to=2015-12-31&closeMin=5&sort=close_value&dir=asc&hide=open_value,high_value',
        reference: true,
      },
    ];
    // Two untimed whole-table exports first: the first reads of a fresh `next start` run while V8
    // still compiles the hot code and PostgreSQL's buffers hold the load's pages (curl by hand:
    // 2.5, 1.4, 1.2, then 1.1 s); a panel in use is past that.
    for (let warmUp = 0; warmUp < 2; warmUp += 1) await download(`${base}/api/data/export`, `stockflow_session=${cookie}`);
    // The export's own SELECT, built by the product's query code (its spreadsheet guard on
    // company_name when a name needs it), as one statement.
    const guardNames = await namesNeedGuard(pool);
    const exportSelect = (queryString: string): string => {
      const { query } = parseDataQuery(Object.fromEntries(new URLSearchParams(queryString)));
      const params: unknown[] = [];
      const where = inlineParameters(filterClause(query, params), params, (text) => pg.escapeLiteral(text));
      const selectList = visibleColumns(query)
        .map((column) => selectOf(column, guardNames))
        .join(', ');
      return `SELECT ${selectList} FROM public.historical_stocks_data t WHERE ${where} ORDER BY ${orderClause(query)}`;
    };
    const timings: ExportTiming[] = [];
    for (const exportCase of cases) {
      const target = `${base}/api/data/export?${exportCase.query}`;
      // Read once by a Node client that decodes and counts the rows (the check), then timed with
      // curl: a client as light as a browser on another machine, not a second Node process
      // competing for the server's two cores.
      const checked = await download(target, `stockflow_session=${cookie}`, exportCase.acceptEncoding);
      if (checked.encoding !== 'identity') progress(`${exportCase.name}: the server sent it ${checked.encoding}-encoded`);
      const runs: number[] = [];
      for (let index = 0; index < 3; index += 1) runs.push(curlSeconds(target, `stockflow_session=${cookie}`, checked.sentBytes, exportCase.acceptEncoding));
      runs.sort((a, b) => a - b);
      const copySeconds = exportCase.reference ? timed(() => psql(url, `\\copy (${exportSelect(exportCase.query)}) TO '/dev/null' WITH (FORMAT csv)\n`)).seconds : null;
      timings.push({ name: exportCase.name, seconds: runs[1]!, bytes: checked.bytes, sentBytes: checked.sentBytes, rows: checked.rows, copySeconds });
    }
    await users.remove(username);
    return timings;
  } finally {
    await pool.end();
    web.kill('SIGTERM');
    if (web.exitCode === null) await once(web, 'exit');
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(SAMPLE, 'stocks'))) throw new Error(`No sample at ${SAMPLE}; set STOCKFLOW_SAMPLE_DIR`);
  const work = mkdtempSync(join(tmpdir(), 'stockflow-bench-'));
  const only =
    process.env.BENCH_ONLY === 'first-load'
      ? firstLoadOnly
      : process.env.BENCH_ONLY === 's3'
        ? s3Only
        : process.env.BENCH_ONLY === 'export'
          ? exportOnly
          : process.env.BENCH_ONLY === 'queued-loads'
            ? queuedLoadsOnly
            : process.env.BENCH_ONLY === 'daily'
              ? dailyOnly
              : null;
  if (only) {
    try {
      await only(work);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const results: Measurement[] = [];
  let s3: S3rver | null = null;
  try {
    // 1. From a folder.
    const folderBucket = join(work, 'folder-bucket');
    await seedFromFolder(new FolderObjectStore(folderBucket), SAMPLE);
    const folderDb = await freshDatabase('stockflow_bench_folder');
    results.push(await runPipelineProcess('stockflow run, folder bucket', { DATABASE_URL: folderDb, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work }));
    const producedCsv = join(work, 'first-output.csv');
    panelTimings = await measurePanel(folderDb);
    exportTimings = await measureExport(folderDb, { STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
    cliTimings = await measureCli(folderDb);
    // The same batch again: every file is unchanged since its rows were loaded, so none is read.
    const again = await runPipelineProcess('stockflow run again, folder bucket, nothing changed', { DATABASE_URL: folderDb, STOCKFLOW_SOURCE: folderBucket, STOCKFLOW_DATA_DIR: work });
    const { files, changes } = again.summary!;
    const changed = changes ? changes.totals.added + changes.totals.changed + changes.totals.removed : 0;
    if (files.unchanged !== files.found || changed !== 0) throw new Error(`the unchanged re-run read ${files.found - files.unchanged} files and changed ${changed} rows`);
    results.push({ ...again, name: `${again.name} (${files.unchanged} of ${files.found} files skipped, 0 rows changed)` });
    // The references below load the first run's output; the daily re-run publishes another.
    copyFileSync(join(folderBucket, 'Output/historical_stock_data.csv'), producedCsv);
    results.push(await dailyRerun(folderBucket, folderDb, work));

    // 2. From the S3-compatible server.
    const started = await startSampleS3(work);
    s3 = started.s3;
    results.push(await runPipelineProcess('stockflow run, S3-compatible bucket (s3rver)', { DATABASE_URL: await freshDatabase('stockflow_bench_s3'), ...started.env }));

    progress('references: psql \\copy, load mechanisms, pandas');
    const { copyDb, indexes, copiedRows, measurement } = await fairReference(producedCsv);
    results.push(measurement);
    // The loaded bare table becomes the real one (same names), for the load mechanisms below.
    psql(
      copyDb,
      [
        'DROP TABLE public.historical_stocks_data;',
        'ALTER TABLE public.bench_bare RENAME TO historical_stocks_data;',
        'ALTER TABLE public.historical_stocks_data RENAME CONSTRAINT bench_bare_pkey TO historical_stocks_data_pkey;',
        ...indexes
          .filter((index) => !index.primary)
          .map((index) => {
            const name = /INDEX (\S+) ON/.exec(index.definition)![1]!;
            return `ALTER INDEX public.${name}_bare RENAME TO ${name};`;
          }),
      ].join('\n'),
    );

    // Load mechanisms, replacing the same 2 M rows in a table that already holds them (the
    // incremental path then writes nothing: it deletes and inserts only rows that differ).
    const companies = (await queryRows<{ company_name: string }>(copyDb, 'SELECT DISTINCT company_name FROM historical_stocks_data')).map((row) => row.company_name);
    const table = new PgStockTable(copyPool(copyDb));
    const incremental = await timedAsync(async () => {
      const session = await table.beginReplace(companies);
      await pipelineStreams(createReadStream(producedCsv), session.rows);
      return session.commit(copiedRows);
    });
    results.push({
      name: `load mechanism: ${incremental.value.strategy} (COPY into a temporary table, only rows that differ written), the same rows again`,
      seconds: incremental.seconds,
      rows: copiedRows,
      peakRssKb: null,
    });
    const bulk = await timedAsync(() => table.replaceCompanies({ companies, rows: createReadStream(producedCsv), expectedRows: copiedRows }));
    results.push({ name: `load mechanism: ${bulk.value.strategy} (new table, indexes built once, swapped in), replacing all rows`, seconds: bulk.seconds, rows: copiedRows, peakRssKb: null });
    await closePools();

    // (b) pandas + psycopg2.
    const pandasDb = await freshDatabase('stockflow_bench_pandas');
    execFileSync(process.execPath, ['bin/stockflow.js', 'migrate'], { env: { ...process.env, DATABASE_URL: pandasDb } });
    const pandas = spawnSync(PYTHON, ['scripts/bench/pandas_reference.py', join(SAMPLE, 'stocks'), join(SAMPLE, 'top_companies.txt'), pandasDb, 'historical_stocks_data', join(work, 'pandas.csv')], {
      encoding: 'utf8',
    });
    if (pandas.status !== 0) throw new Error(`pandas reference failed (needs python3-pandas and python3-psycopg2): ${pandas.stderr}`);
    const pandasReport = JSON.parse(pandas.stdout.trim()) as { rows: number; seconds: number; peakRssKb: number };
    results.push({ name: '(b) pandas read_csv + to_csv + COPY (psycopg2)', ...pandasReport });
  } finally {
    await s3?.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }

  const limit = results.find((result) => result.name.startsWith('(a)'))!.seconds;
  const pandasSeconds = results.find((result) => result.name.startsWith('(b)'))!.seconds;
  const lines = [
    `Date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    '',
    '| what | wall s | rows | rows/s | peak RSS MB | vs \\copy | vs pandas |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (result) =>
        `| ${result.name} | ${result.seconds.toFixed(2)} | ${result.rows} | ${Math.round(result.rows / result.seconds)} | ${result.peakRssKb === null ? '–' : (result.peakRssKb / 1024).toFixed(0)} | ${(result.seconds / limit).toFixed(2)}× | ${(pandasSeconds / result.seconds).toFixed(2)}× faster |`,
    ),
  ];
  lines.push('', '| CLI start-up (wall, median of 5) | ms |', '|---|---:|');
  for (const timing of cliTimings) lines.push(`| ${timing.name} | ${timing.ms.toFixed(0)} |`);
  lines.push('', '| control panel read (server time, median of 7) | ms | rows or points |', '|---|---:|---:|');
  for (const timing of panelTimings) lines.push(`| ${timing.name} | ${timing.medianMs.toFixed(1)} | ${timing.rows} |`);
  lines.push('', exportTable());
  process.stdout.write(`${lines.join('\n')}\n`);
}

function exportTable(): string {
  const lines = [
    '| CSV export over HTTP (median of 3; MB = 10^6 bytes of CSV) | MB/s | rows/s | MB | sent MB | s | psql \\copy of the same rows to /dev/null, s |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const timing of exportTimings)
    lines.push(
      `| ${timing.name} | ${(timing.bytes / 1e6 / timing.seconds).toFixed(0)} | ${Math.round(timing.rows / timing.seconds)} | ${(timing.bytes / 1e6).toFixed(1)} | ${(timing.sentBytes / 1e6).toFixed(1)} | ${timing.seconds.toFixed(2)} | ${timing.copySeconds === null ? '–' : timing.copySeconds.toFixed(2)} |`,
    );
  return lines.join('\n');
}

await main();
