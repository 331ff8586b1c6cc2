import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { stockflow } from './cli';
import { tableDigest } from './pipeline';
import { createTestDatabase, type TestDatabase } from './postgres';

/** Products (a database and a data folder) seeded from a slice of the real sample, run through the CLI. */

const SAMPLE = resolve('../shared/data/stocks');
export const FILES = 45;

/** A source of real sample files: the first FILES tickers, one with a bad row, plus a listed ticker with no file. */
export async function sampleSource(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stockflow-shards-src-'));
  await mkdir(join(dir, 'stocks'));
  const names = (await readdir(SAMPLE)).sort().slice(0, FILES);
  for (const name of names) await copyFile(join(SAMPLE, name), join(dir, 'stocks', name));
  // One bad row: rejected by every engine, and kept in the (merged) rejects file.
  const bad = join(dir, 'stocks', names[3]!);
  await writeFile(bad, `${(await readFile(bad, 'utf8')).trimEnd()}\n2017-13-45,1,2,3,4,5,0\n`);
  const list = [...names, 'nofile.us.csv'].map((name) => `'${name}'`).join(', ');
  await writeFile(join(dir, 'top_companies.txt'), `${list}\n`);
  return dir;
}

export interface Product {
  database: TestDatabase;
  dataDir: string;
  env: Record<string, string | undefined>;
}

/** The product's published output files. */
export function publishedFile(target: Product, name: string): string {
  return join(target.dataDir, 'buckets/source/Output', name);
}

export async function product(name: string, source: string): Promise<Product> {
  const database = await createTestDatabase(name);
  const dataDir = await mkdtemp(join(tmpdir(), `stockflow-${name}-`));
  const env = { DATABASE_URL: database.url, STOCKFLOW_DATA_DIR: dataDir, STOCKFLOW_COHORT: 'C4', STOCKFLOW_FIRST_NAME: 'Shard', STOCKFLOW_SURNAME: 'Test' };
  const seeded = await stockflow(['seed', '--from', source], env);
  assert.equal(seeded.code, 0, seeded.stderr);
  return { database, dataDir, env };
}

export async function sortedLines(path: string, skipHeader = false): Promise<string[]> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  return (skipHeader ? lines.slice(1) : lines).sort();
}

/** discover, then each shard's transform and load as separate processes side by side (as Airflow's mapped tasks), then notify. */
export async function shardedRun(target: Product, runId: string, conf: Record<string, unknown>): Promise<string[]> {
  const step = (args: string[]) => stockflow(['step', ...args, '--run-id', runId, '--conf', JSON.stringify(conf)], target.env);
  const discovered = await step(['discover']);
  assert.equal(discovered.code, 0, discovered.stderr);
  const shards = JSON.parse(discovered.stdout.trim().split('\n').at(-1)!) as string[];
  for (const name of ['transform', 'load']) {
    const results = await Promise.all(shards.map((shard) => step([name, '--shard', shard])));
    results.forEach((result, position) => assert.equal(result.code, 0, `${name} ${shards[position]}: ${result.stderr}`));
  }
  const notified = await step(['notify']);
  assert.equal(notified.code, 0, notified.stderr);
  return shards;
}

/** What `stockflow run --json` prints, as far as the re-run tests read it. */
export interface JsonSummary {
  status: string;
  files: { found: number; unchanged: number; appended: number };
  rows: { read: number; loaded: number; rejected: number };
  changes: { added: number; changed: number; removed: number; unchanged: number } | null;
}

/** `stockflow run --json` on the product, which must succeed as a process. */
export async function runJson(target: Product, ...args: string[]): Promise<JsonSummary> {
  const result = await stockflow(['run', '--json', ...args], target.env);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as JsonSummary;
}

/** The table and the published output and rejects (sorted), to compare two runs' end states. */
export async function productSnapshot(target: Product): Promise<{ table: { rows: number; digest: string }; output: string[]; rejects: string[] }> {
  return {
    table: await tableDigest(target.database.pool),
    output: await sortedLines(publishedFile(target, 'historical_stock_data.csv')),
    rejects: await sortedLines(publishedFile(target, 'rejects.csv'), true),
  };
}
