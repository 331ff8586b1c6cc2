import { createHash, type Hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { InvalidKeyError, ObjectNotFoundError, SymlinkRefusedError } from '../ports/object-store';
import type { PipelineContext } from './context';
import { csvField, LINE_LIMIT, LineSplitter } from './csv';
import { DateLines } from './date-lines';
import { deriveRow } from './derive-row';
import type { DiscoveredFile } from './discover';
import { isHeaderLine, looksLikeHeader } from './stock-row';
import { storedText } from './stored-text';
import type { FileReport, RejectedRow } from './transform';
import { withoutAppendCheck } from './unchanged-files';

export interface FileOutcome {
  report: FileReport;
  /** Output CSV for this file; complete, since a file is read to its end before anything is written. */
  output: Buffer[];
  /** The file only gained rows since its company's rows were loaded (report.rowsLoadedBefore): output[loadFrom..] holds the new rows. */
  loadFrom?: number;
  rejects: RejectedRow[];
}

const DEFAULT_FILE_READ = { attempts: 3, backoffMs: 1000 };

/** A source file that could not be read in any attempt: the run fails (its rows would be missing). */
export class FileReadError extends Error {
  constructor(
    readonly key: string,
    attempts: number,
    cause: unknown,
  ) {
    super(`${key} could not be read (${attempts} attempt${attempts === 1 ? '' : 's'}): ${messageOf(cause)}`, { cause });
    this.name = 'FileReadError';
  }
}

/** The file was read but is not a stock file (a foreign header): reported, the company keeps its rows. */
class UnexpectedContentError extends Error {}

/**
 * Reads and validates one source file, again from the start after a failed read (with doubling
 * waits), since its output is held until the whole file was read. A file still unreadable after
 * the last attempt throws FileReadError; one that is gone or refused is not tried again.
 */
export async function readSourceFile(context: PipelineContext, file: DiscoveredFile): Promise<FileOutcome> {
  const { attempts, backoffMs } = context.fileRead ?? DEFAULT_FILE_READ;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await readOnce(context, file);
    } catch (error) {
      if (context.signal?.aborted) throw error;
      const final = error instanceof ObjectNotFoundError || error instanceof SymlinkRefusedError || error instanceof InvalidKeyError;
      if (final || attempt >= attempts) throw new FileReadError(file.key, attempt, error);
      const wait = backoffMs * 2 ** (attempt - 1);
      context.log.log('warn', `transform: ${file.key}: read failed (attempt ${attempt} of ${attempts}), reading it again in ${wait} ms: ${storedText(messageOf(error))}`);
      await sleep(wait, undefined, { signal: context.signal });
    }
  }
}

async function readOnce(context: PipelineContext, file: DiscoveredFile): Promise<FileOutcome> {
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
    ...(file.etag === undefined ? {} : { etag: file.etag, size: file.size }),
  };
  const output: Buffer[] = [];
  const rejects: RejectedRow[] = [];
  const companyField = `,${csvField(file.company)}\n`;
  const dates = new DateLines();
  const reject = (line: number, raw: string, reason: string): void => {
    report.rowsRejected += 1;
    rejects.push({ file: file.key, line, raw: storedText(raw), reason: storedText(reason) });
  };
  let firstWarningLine: number | null = null;
  let pending = '';
  const hash = createHash('sha256');
  let sawFirstLine = false;
  const splitter = new LineSplitter((line) => {
    if (line.overLimit !== undefined) {
      sawFirstLine = true;
      report.rowsRead += 1;
      reject(line.number, line.text, `line is ${line.overLimit} characters long; the limit is ${LINE_LIMIT}`);
      return;
    }
    if (line.text.trim() === '') return;
    if (!sawFirstLine) {
      sawFirstLine = true;
      if (isHeaderLine(line.text)) return;
      if (looksLikeHeader(line.text)) throw new UnexpectedContentError(`line ${line.number}: unexpected header ${JSON.stringify(storedText(line.text, 200))}`);
    }
    report.rowsRead += 1;
    const derived = deriveRow(line.text);
    if (!derived.ok) {
      reject(line.number, line.text, derived.reason);
      return;
    }
    const earlier = dates.add(derived.date, line.number);
    if (earlier !== undefined) {
      reject(line.number, line.text, `duplicate Date ${derived.date} (first at line ${earlier})`);
      return;
    }
    if (derived.openIsZero) {
      report.warnings += 1;
      firstWarningLine ??= line.number;
    }
    report.rowsKept += 1;
    pending += derived.csv + companyField;
    // Into off-heap memory at once: held strings would survive into V8's old space and make GC the bottleneck.
    if (pending.length > 64 * 1024) flush();
  });
  function flush(): void {
    if (pending) output.push(Buffer.from(pending, 'utf8'));
    pending = '';
  }
  const take = (bytes: Buffer): void => {
    hash.update(bytes);
    report.bytes += bytes.length;
    splitter.push(bytes);
  };
  // The loaded version's end, where the new rows start if the file begins with it (see atLoadedEnd).
  const loadedSize = file.loaded?.size ?? -1;
  let loadFrom: number | undefined;
  try {
    for await (const chunk of await context.source.get(file.key)) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      if (report.bytes < loadedSize && report.bytes + bytes.length >= loadedSize) {
        const head = bytes.subarray(0, loadedSize - report.bytes);
        take(head);
        // Every line of the loaded version has been split off (it ends with a newline): the rows so far are in the table.
        if (atLoadedEnd(hash, head, file.loaded!.sha256)) {
          flush();
          loadFrom = output.length;
          report.rowsLoadedBefore = report.rowsKept;
          report.loadedSha256 = file.loaded!.sha256;
        }
        take(bytes.subarray(head.length));
      } else {
        take(bytes);
      }
    }
    splitter.end();
  } catch (error) {
    if (!(error instanceof UnexpectedContentError)) throw error;
    context.log.log('error', `transform: ${file.key}: not a stock file, skipped: ${error.message}`);
    return { report: { ...withoutAppendCheck(report), status: 'failed', rowsKept: 0, rowsRejected: 0, rowsRead: 0, error: error.message }, output: [], rejects: [] };
  }
  flush();
  report.sha256 = hash.digest('hex');
  if (report.rowsRead === 0) report.status = 'empty';
  if (report.rowsRejected > 0) {
    context.log.log('warn', `transform: ${file.key}: ${report.rowsRejected} of ${report.rowsRead} rows rejected (first: line ${rejects[0]!.line}: ${rejects[0]!.reason})`);
  }
  if (firstWarningLine !== null) {
    context.log.log('warn', `transform: ${file.key}: ${report.warnings} rows with Open = 0 (first at line ${firstWarningLine}); daily_percent_change left empty`);
  }
  return { report, output, rejects, ...(loadFrom === undefined ? {} : { loadFrom }) };
}

/**
 * Whether the bytes read so far, ending with `head`, are exactly the version the company's rows
 * were loaded from: same SHA-256, and whole lines (a last line completed later would be a changed row).
 */
function atLoadedEnd(hash: Hash, head: Buffer, loadedSha256: string): boolean {
  return head.length > 0 && head[head.length - 1] === 0x0a && hash.copy().digest('hex') === loadedSha256;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
