import type { Writable } from 'node:stream';

import type { LoadMode } from '../ports/stock-table';
import { type PipelineContext, StepInputError } from './context';
import { csvRecord } from './csv';
import type { DiscoveryResult } from './discover';
import { putManifest } from './manifest-file';
import { removeStaleOutputs, runOutputKeys } from './output-layout';
import { ReadAheadStore } from './read-ahead';
import { type FileOutcome, readSourceFile } from './read-file';
import { formatShard, isWholeRun, type Shard } from './shard';
import { fileCounts, shardFileLists } from './shard-file-lists';
import { createSpoolFile } from './spool-file';
import { spreadsheetSafe } from './stored-text';
import { forEachConcurrently, uploadStream, writeChunk } from './streams';
import { appendedCompaniesOf, carryUnchangedFiles, rowsToLoadOf } from './unchanged-files';

/** raw and reason are stored text: control characters escaped, at most ~1 KiB (stored-text.ts). */
export interface RejectedRow {
  file: string;
  line: number;
  raw: string;
  reason: string;
}

export interface FileReport {
  company: string;
  key: string;
  /** loaded: rows kept; empty: no data rows (0 bytes or header only); failed: not a stock file (foreign header), skipped. */
  status: 'loaded' | 'empty' | 'failed';
  rowsRead: number;
  rowsKept: number;
  rowsRejected: number;
  /** Rows kept with a data-quality warning (Open = 0). */
  warnings: number;
  bytes: number;
  sha256: string;
  error: string | null;
  /** The file as listed (ETag, size): what the load records, so a re-run can skip it unchanged. */
  etag?: string;
  size?: number;
  /** Not read by this run: unchanged since its rows were loaded, carried over from the published output. */
  unchanged?: boolean;
  /**
   * The file starts with the bytes its company's rows were last loaded from and only gained rows
   * since: that many of its kept rows (the first ones) are in the table as they are, and the load
   * takes only the rest. The output still holds all of them.
   */
  rowsLoadedBefore?: number;
  /** With rowsLoadedBefore: the recorded SHA-256 of the version those rows came from. */
  loadedSha256?: string;
}

export interface Manifest {
  runId: string;
  /** Under Output/runs/<run id>/ (output-layout.ts); the published manifest names the published files. */
  outputKey: string;
  rejectsKey: string;
  /** Companies whose rows the output holds in full: what the load step replaces. */
  companies: string[];
  files: FileReport[];
  totals: {
    files: number;
    filesEmpty: number;
    filesFailed: number;
    rowsRead: number;
    rowsKept: number;
    rowsRejected: number;
    warnings: number;
  };
  /** The first rejected rows, for reports; all of them are in rejectsKey. */
  firstRejects: RejectedRow[];
  /** From the discovery: synthetic demo data, and how the load treats companies outside the batch. */
  demo?: boolean;
  loadMode?: LoadMode;
  /** Unchanged files not read: their reports are in `files`, their rows and rejects in the run's unchanged files (output-layout.ts), not in totals. */
  unchanged?: { files: number; rows: number };
  /** The shard this manifest covers; absent: the whole batch. */
  shard?: Shard;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

const FIRST_REJECTS_KEPT = 20;

/**
 * Remote sources (S3) are fetched ahead of the readers: at ~30 ms a GET, eight readers each waiting
 * for its next file left the run waiting on round trips (bench, BENCH_S3_LATENCY_MS=30: 20.2 s
 * against 14.6 s fetched ahead). A local folder is not: there is no round trip to overlap, only copies.
 */
const READ_AHEAD = { requests: 32, budgetBytes: 8 * 1024 * 1024, largestFileBytes: 8 * 1024 * 1024 };

/** Where `stockflow run` streams the output besides the file: straight into the load. */
export interface OutputTee {
  rows: Writable;
  /** Every file's rows went to `rows` (none failed it); called before the output file is complete. */
  allRowsWritten?(reports: readonly FileReport[]): void;
}

/**
 * Step 2: stream every listed file, validate and derive, write the output, rejects and manifest
 * under the run's own folder (Output/ is published by the load, once it committed). A file that
 * cannot be read even after retries fails the step. `tee`, when given, receives the output too.
 */
export async function transform(context: PipelineContext, discovery: DiscoveryResult, tee?: OutputTee): Promise<Manifest> {
  const startedAt = new Date();
  await removeStaleOutputs(context);
  const { shard } = context;
  if (!isWholeRun(shard) && shard!.count !== (discovery.shards ?? 1)) {
    throw new StepInputError(`discover split run ${context.runId} into ${discovery.shards ?? 1} shards, not ${shard!.count}`);
  }
  const { files, unchanged } = await shardFileLists(context, discovery, shard);
  if (!isWholeRun(shard)) context.log.log('info', `transform: shard ${formatShard(shard!)}: ${files.length} of the batch's ${fileCounts(discovery).files} files`);
  const keys = runOutputKeys(context.runId, shard);
  const outputUpload = tee && context.source.remote ? await spooledUpload(context, keys.output) : uploadStream((body) => context.source.put(keys.output, body, { contentType: 'text/csv' }), 1 << 20);
  const rejectsUpload = uploadStream((body) => context.source.put(keys.rejects, body, { contentType: 'text/csv' }));
  const [output, rejects] = [outputUpload.stream, rejectsUpload.stream];
  const uploads = Promise.all([outputUpload.done, rejectsUpload.done]);

  const reports: FileReport[] = [];
  const firstRejects: RejectedRow[] = [];
  let rowsDone = 0;
  try {
    await writeChunk(rejects, csvRecord(['file', 'line', 'raw', 'reason']));
    // Files are read concurrently but written one at a time, each as one block, so a file that
    // fails half-way leaves nothing behind and the streams have a single writer.
    let writing = Promise.resolve();
    const emit = async (outcome: FileOutcome): Promise<void> => {
      const loadFrom = outcome.loadFrom ?? 0;
      for (const [index, block] of outcome.output.entries()) {
        await writeChunk(output, block);
        // A failing tee is the load's failure, reported when the load commits; the output goes on.
        // An appended file's rows the table holds already are not loaded again.
        if (tee && index >= loadFrom) await writeChunk(tee.rows, block).catch(() => (tee = undefined));
      }
      for (const reject of outcome.rejects) {
        await writeChunk(rejects, csvRecord([spreadsheetSafe(reject.file), String(reject.line), spreadsheetSafe(reject.raw), spreadsheetSafe(reject.reason)]));
        if (firstRejects.length < FIRST_REJECTS_KEPT) firstRejects.push(reject);
      }
      reports.push(outcome.report);
      rowsDone += outcome.report.rowsRead;
      context.onProgress?.({ step: 'transform', done: reports.length, total: files.length, rows: rowsDone });
    };
    const readAhead = context.source.remote ? new ReadAheadStore(context.source, files, READ_AHEAD) : null;
    const readContext = readAhead ? { ...context, source: readAhead } : context;
    try {
      await forEachConcurrently(files, context.concurrency, async (file) => {
        context.signal?.throwIfAborted();
        const outcome = await readSourceFile(readContext, file);
        writing = writing.then(() => emit(outcome));
        await writing;
      });
    } finally {
      readAhead?.close();
    }
    // On S3 the output's upload completes now (s3rver: half a second for the sample), time the
    // load can use to build its indexes.
    tee?.allRowsWritten?.(reports);
    output.end();
    rejects.end();
    await uploads;
  } catch (error) {
    output.destroy(error as Error);
    rejects.destroy(error as Error);
    await uploads.catch(() => {});
    throw error;
  }

  const carried = unchanged.length > 0 ? await carryUnchangedFiles(context, unchanged, discovery.carriedFrom!, { output: keys.unchangedOutput, rejects: keys.unchangedRejects }) : null;
  if (carried) context.log.log('info', `transform: ${unchanged.length} files unchanged since loaded: ${carried.rows} rows carried over from the published output, not read`);
  reports.sort((a, b) => (a.company < b.company ? -1 : 1));
  const finishedAt = new Date();
  const manifest: Manifest = {
    runId: context.runId,
    outputKey: keys.output,
    rejectsKey: keys.rejects,
    companies: reports.filter((report) => report.status !== 'failed').map((report) => report.company),
    files: carried ? [...reports, ...carried.reports].sort((a, b) => (a.company < b.company ? -1 : 1)) : reports,
    totals: {
      files: reports.length,
      filesEmpty: reports.filter((report) => report.status === 'empty').length,
      filesFailed: reports.filter((report) => report.status === 'failed').length,
      rowsRead: sum(reports, 'rowsRead'),
      rowsKept: sum(reports, 'rowsKept'),
      rowsRejected: sum(reports, 'rowsRejected'),
      warnings: sum(reports, 'warnings'),
    },
    firstRejects,
    demo: discovery.demo ?? false,
    loadMode: discovery.loadMode ?? 'companies',
    ...(carried ? { unchanged: { files: carried.reports.length, rows: carried.rows } } : {}),
    ...(isWholeRun(shard) ? {} : { shard }),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
  await putManifest(context.source, keys.manifest, manifest, manifest.files);
  const { totals } = manifest;
  context.log.log(
    'info',
    `transform: ${totals.files} files, ${totals.rowsRead} rows read, ${totals.rowsKept} kept, ${totals.rowsRejected} rejected, ` +
      `${totals.filesEmpty} empty, ${totals.filesFailed} not stock files, ${totals.warnings} warnings`,
  );
  const appended = appendedCompaniesOf(reports);
  if (appended.size > 0) {
    const loadedBefore = [...appended.values()].reduce((total, { rowsBefore }) => total + rowsBefore, 0);
    context.log.log(
      'info',
      `transform: ${appended.size} files only gained rows since their rows were loaded: ${loadedBefore} of their rows are in the table already, ${rowsToLoadOf(reports)} rows go to the load`,
    );
  }
  return manifest;
}

/**
 * `stockflow run` on a remote store: the output goes to a local file while the files are read, and
 * up in one request, its CRC32 checked by the store, once every row is written, while the load
 * builds its indexes (which take far longer). Sent as it is written, it would go up in parts, which
 * a store may join by copying them again (s3rver: 0.6 s of CPU for the sample's 128 MB, on the
 * cores the run uses). A step run on its own (Airflow) streams its output in parts: there nothing
 * else would overlap the upload.
 */
async function spooledUpload(context: PipelineContext, key: string): Promise<{ stream: Writable; done: Promise<void> }> {
  const spool = await createSpoolFile('output.csv', context.spoolDir).catch((error: unknown) => {
    const where = context.spoolDir ?? 'the temporary folder';
    throw new Error(
      `the output is kept in ${where} until it is sent, but that folder cannot be written (${error instanceof Error ? error.message : String(error)}); set STOCKFLOW_DATA_DIR to a writable folder`,
      { cause: error },
    );
  });
  const done = spool.finished
    .then(async (file) => {
      const started = Date.now();
      await context.source.putFile(key, file, { contentType: 'text/csv' });
      context.log.log('info', `transform: output sent to ${key} (${(file.size / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    })
    .finally(() => spool.remove());
  return { stream: spool.stream, done };
}

function sum(reports: FileReport[], field: 'rowsRead' | 'rowsKept' | 'rowsRejected' | 'warnings'): number {
  return reports.reduce((total, report) => total + report[field], 0);
}
