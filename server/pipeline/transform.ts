import { createHash } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import { csvField, csvRecord, LineSplitter } from './csv';
import { KEYS, type PipelineContext } from './context';
import type { DiscoveredFile, DiscoveryResult } from './discover';
import { deriveRow } from './derive-row';
import { isHeaderLine, looksLikeHeader } from './stock-row';
import { forEachConcurrently, writeChunk } from './streams';

export interface RejectedRow {
  file: string;
  line: number;
  raw: string;
  reason: string;
}

export interface FileReport {
  company: string;
  key: string;
  /** loaded: rows kept; empty: no data rows (0 bytes or header only); failed: unreadable, skipped. */
  status: 'loaded' | 'empty' | 'failed';
  rowsRead: number;
  rowsKept: number;
  rowsRejected: number;
  /** Rows kept with a data-quality warning (Open = 0). */
  warnings: number;
  bytes: number;
  sha256: string;
  error: string | null;
}

export interface Manifest {
  runId: string;
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
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

const FIRST_REJECTS_KEPT = 20;

interface FileOutcome {
  report: FileReport;
  /** Output CSV for this file; written only once the whole file has been read. */
  output: Buffer[];
  rejects: RejectedRow[];
}

/**
 * Step 2: stream every listed file, validate and derive, write the output, rejects and manifest.
 * `tee`, when given, receives the output too (the runner streams it straight into the load).
 */
export async function transform(context: PipelineContext, discovery: DiscoveryResult, tee?: Writable): Promise<Manifest> {
  const startedAt = new Date();
  const output = new PassThrough({ highWaterMark: 1 << 20 });
  const rejects = new PassThrough();
  const uploads = Promise.all([
    context.source.put(KEYS.output, output, { contentType: 'text/csv' }),
    context.source.put(KEYS.rejects, rejects, { contentType: 'text/csv' }),
  ]);
  // A failed upload must not leave us writing into a stream nobody reads.
  uploads.catch((error: unknown) => {
    output.destroy(error as Error);
    rejects.destroy(error as Error);
  });

  const reports: FileReport[] = [];
  const firstRejects: RejectedRow[] = [];
  let rowsDone = 0;
  try {
    await writeChunk(rejects, csvRecord(['file', 'line', 'raw', 'reason']));
    // Files are read concurrently but written one at a time, each as one block, so a file that
    // fails half-way leaves nothing behind and the streams have a single writer.
    let writing = Promise.resolve();
    const emit = async (outcome: FileOutcome): Promise<void> => {
      for (const block of outcome.output) {
        await writeChunk(output, block);
        // A failing tee is the load's failure, reported when the load commits; the output goes on.
        if (tee) await writeChunk(tee, block).catch(() => (tee = undefined));
      }
      for (const reject of outcome.rejects) {
        await writeChunk(rejects, csvRecord([reject.file, String(reject.line), reject.raw, reject.reason]));
        if (firstRejects.length < FIRST_REJECTS_KEPT) firstRejects.push(reject);
      }
      reports.push(outcome.report);
      rowsDone += outcome.report.rowsRead;
      context.onProgress?.({ step: 'transform', done: reports.length, total: discovery.files.length, rows: rowsDone });
    };
    await forEachConcurrently(discovery.files, context.concurrency, async (file) => {
      context.signal?.throwIfAborted();
      const outcome = await transformFile(context, file);
      writing = writing.then(() => emit(outcome));
      await writing;
    });
    output.end();
    rejects.end();
    await uploads;
  } catch (error) {
    output.destroy(error as Error);
    rejects.destroy(error as Error);
    await uploads.catch(() => {});
    throw error;
  }

  reports.sort((a, b) => (a.company < b.company ? -1 : 1));
  const finishedAt = new Date();
  const manifest: Manifest = {
    runId: context.runId,
    outputKey: KEYS.output,
    rejectsKey: KEYS.rejects,
    companies: reports.filter((report) => report.status !== 'failed').map((report) => report.company),
    files: reports,
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
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
  await context.source.put(KEYS.manifest, JSON.stringify(manifest, null, 2), { contentType: 'application/json' });
  const { totals } = manifest;
  context.log.log(
    'info',
    `transform: ${totals.files} files, ${totals.rowsRead} rows read, ${totals.rowsKept} kept, ${totals.rowsRejected} rejected, ` +
      `${totals.filesEmpty} empty, ${totals.filesFailed} unreadable, ${totals.warnings} warnings`,
  );
  return manifest;
}

function sum(reports: FileReport[], field: 'rowsRead' | 'rowsKept' | 'rowsRejected' | 'warnings'): number {
  return reports.reduce((total, report) => total + report[field], 0);
}

/** Reads one source file; never throws: an unreadable file comes back as status 'failed'. */
async function transformFile(context: PipelineContext, file: DiscoveredFile): Promise<FileOutcome> {
  const report: FileReport = {
    company: file.company,
    key: file.key,
    status: 'loaded',
    rowsRead: 0,
    rowsKept: 0,
    rowsRejected: 0,
    warnings: 0,
    bytes: 0,
    sha256: '',
    error: null,
  };
  const output: Buffer[] = [];
  const rejects: RejectedRow[] = [];
  const companyField = `,${csvField(file.company)}\n`;
  const firstLineOfDate = new Map<string, number>();
  let firstWarningLine: number | null = null;
  let pending = '';
  try {
    const hash = createHash('sha256');
    let sawFirstLine = false;
    const splitter = new LineSplitter((line) => {
      if (line.text.trim() === '') return;
      if (!sawFirstLine) {
        sawFirstLine = true;
        if (isHeaderLine(line.text)) return;
        if (looksLikeHeader(line.text)) throw new Error(`line ${line.number}: unexpected header ${JSON.stringify(line.text)}`);
      }
      report.rowsRead += 1;
      const derived = deriveRow(line.text);
      let reason = derived.ok ? null : derived.reason;
      if (derived.ok) {
        const earlier = firstLineOfDate.get(derived.date);
        if (earlier !== undefined) reason = `duplicate Date ${derived.date} (first at line ${earlier})`;
        else firstLineOfDate.set(derived.date, line.number);
      }
      if (reason !== null || !derived.ok) {
        report.rowsRejected += 1;
        rejects.push({ file: file.key, line: line.number, raw: line.text, reason: reason ?? 'invalid row' });
        return;
      }
      if (derived.openIsZero) {
        report.warnings += 1;
        firstWarningLine ??= line.number;
      }
      report.rowsKept += 1;
      pending += derived.csv + companyField;
      if (pending.length > 64 * 1024) {
        // Into off-heap memory at once: held strings would survive into V8's old space and make GC the bottleneck.
        output.push(Buffer.from(pending, 'utf8'));
        pending = '';
      }
    });
    for await (const chunk of await context.source.get(file.key)) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      hash.update(bytes);
      report.bytes += bytes.length;
      splitter.push(bytes);
    }
    splitter.end();
    if (pending) output.push(Buffer.from(pending, 'utf8'));
    report.sha256 = hash.digest('hex');
    if (report.rowsRead === 0) report.status = 'empty';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.log.log('error', `transform: ${file.key}: cannot be read, skipped: ${message}`);
    return {
      report: { ...report, status: 'failed', rowsKept: 0, rowsRejected: 0, rowsRead: 0, error: message },
      output: [],
      rejects: [],
    };
  }
  if (report.rowsRejected > 0) {
    context.log.log('warn', `transform: ${file.key}: ${report.rowsRejected} of ${report.rowsRead} rows rejected (first: line ${rejects[0]!.line}: ${rejects[0]!.reason})`);
  }
  if (firstWarningLine !== null) {
    context.log.log('warn', `transform: ${file.key}: ${report.warnings} rows with Open = 0 (first at line ${firstWarningLine}); daily_percent_change left empty`);
  }
  return { report, output, rejects };
}
