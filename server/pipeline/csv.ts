import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

// The record parser is pure (no Node APIs) so the browser's upload preview can use it too.
import { LINE_LIMIT } from './csv-record';
import { STORED_TEXT_LIMIT } from './stored-text';
export { LINE_LIMIT, parseCsvLine, type ParsedFields } from './csv-record';

/** The CSV codec the pipeline needs: physical lines in, fields out, and fields back to CSV. */

export interface SourceLine {
  /** 1-based physical line number in the file. */
  number: number;
  /** The line without its line ending (and without a leading UTF-8 BOM on line 1); only its start when overLimit is set. */
  text: string;
  /** The line's full length in characters, when it is longer than the limit. */
  overLimit?: number;
}

/**
 * Bytes decoded to text at a time. A longer string is a large object for V8 (pages of its own,
 * faulted in fresh, freed only by a full collection): the folder store's 256 KiB reads decoded
 * whole cost 10× what the same bytes cost in 32 KiB pieces (0.3 s of a first load's transform).
 */
const DECODE_BYTES = 32 * 1024;

/**
 * Splits bytes into lines (LF or CRLF), decoding UTF-8 across chunk boundaries. Lines are handed
 * to a callback synchronously: an async generator per line costs more than parsing the line.
 * Each chunk is searched once (linear however long a line), and at most `limit` characters of an
 * unfinished line are held: the rest of a longer one is only counted.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  /** Length so far of the over-long line being skipped; -1 when there is none. */
  private skipped = -1;
  private skippedStart = '';
  private number = 0;

  constructor(
    private readonly onLine: (line: SourceLine) => void,
    private readonly limit = LINE_LIMIT,
  ) {}

  /** Characters held for the unfinished line between chunks (at most the limit + 1). */
  get buffered(): number {
    return this.pending.length + this.skippedStart.length;
  }

  push(chunk: Buffer): void {
    if (chunk.length <= DECODE_BYTES) this.split(this.decoder.write(chunk));
    else for (let from = 0; from < chunk.length; from += DECODE_BYTES) this.split(this.decoder.write(chunk.subarray(from, from + DECODE_BYTES)));
  }

  private split(text: string): void {
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      this.finishLine(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.extendLine(text.slice(start));
  }

  end(): void {
    this.extendLine(this.decoder.end());
    if (this.pending.length > 0 || this.skipped >= 0) this.finishLine('');
  }

  private extendLine(part: string): void {
    if (this.skipped >= 0) {
      this.skipped += part.length;
      return;
    }
    this.pending += part;
    // One more than the limit: the line's CR may still be to come.
    if (this.pending.length > this.limit + 1) this.startSkipping(this.pending);
  }

  private startSkipping(line: string): void {
    this.skipped = line.length;
    this.skippedStart = line.slice(0, Math.min(PREVIEW, this.limit));
    this.pending = '';
  }

  private finishLine(part: string): void {
    if (this.skipped < 0) {
      let raw = this.pending.length > 0 ? this.pending + part : part;
      this.pending = '';
      if (raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
      if (raw.length <= this.limit) {
        this.emit(raw);
        return;
      }
      this.startSkipping(raw);
    } else {
      this.skipped += part.charCodeAt(part.length - 1) === 13 ? part.length - 1 : part.length;
    }
    const length = this.skipped;
    const start = this.skippedStart;
    this.skipped = -1;
    this.skippedStart = '';
    this.emit(start, length);
  }

  private emit(text: string, overLimit?: number): void {
    this.number += 1;
    if (this.number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.onLine(overLimit === undefined ? { number: this.number, text } : { number: this.number, text, overLimit });
  }
}

/** What is kept of an over-long line: enough to recognise it in a report. */
const PREVIEW = STORED_TEXT_LIMIT;

/** Every line of a stream, for callers that prefer to iterate (small inputs). */
export async function readAllLines(stream: Readable): Promise<SourceLine[]> {
  const lines: SourceLine[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for await (const chunk of stream) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  splitter.end();
  return lines;
}

/** One CSV field as PostgreSQL's COPY (FORMAT csv) and spreadsheets read it back. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value.trim() !== value ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvRecord(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\n`;
}
