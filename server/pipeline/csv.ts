import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** The CSV codec the pipeline needs: physical lines in, fields out, and fields back to CSV. */

export interface SourceLine {
  /** 1-based physical line number in the file. */
  number: number;
  /** The line without its line ending (and without a leading UTF-8 BOM on line 1). */
  text: string;
}

/**
 * Splits bytes into lines (LF or CRLF), decoding UTF-8 across chunk boundaries. Lines are handed
 * to a callback synchronously: an async generator per line costs more than parsing the line.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private number = 0;

  constructor(private readonly onLine: (line: SourceLine) => void) {}

  push(chunk: Buffer): void {
    const text = this.pending + this.decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      this.emit(text.slice(start, newline));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.pending = text.slice(start);
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest.length > 0) this.emit(rest);
  }

  private emit(raw: string): void {
    this.number += 1;
    let text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (this.number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.onLine({ number: this.number, text });
  }
}

/** Every line of a stream, for callers that prefer to iterate (small inputs). */
export async function readAllLines(stream: Readable): Promise<SourceLine[]> {
  const lines: SourceLine[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for await (const chunk of stream) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  splitter.end();
  return lines;
}

export type ParsedFields = { ok: true; fields: string[] } | { ok: false; reason: string };

/** Parses one CSV record held on one line (RFC 4180 quoting; quoted line breaks are not supported). */
export function parseCsvLine(line: string): ParsedFields {
  if (!line.includes('"')) return { ok: true, fields: line.split(',') };
  const fields: string[] = [];
  let position = 0;
  while (true) {
    if (line[position] === '"') {
      let value = '';
      position += 1;
      while (true) {
        const quote = line.indexOf('"', position);
        if (quote === -1) return { ok: false, reason: 'unterminated quoted field' };
        value += line.slice(position, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          position = quote + 2;
          continue;
        }
        position = quote + 1;
        break;
      }
      fields.push(value);
      if (position === line.length) return { ok: true, fields };
      if (line[position] !== ',') return { ok: false, reason: `unexpected character after closing quote at column ${position + 1}` };
      position += 1;
    } else {
      const comma = line.indexOf(',', position);
      const value = line.slice(position, comma === -1 ? line.length : comma);
      if (value.includes('"')) return { ok: false, reason: `stray quote in unquoted field at column ${position + 1}` };
      fields.push(value);
      if (comma === -1) return { ok: true, fields };
      position = comma + 1;
    }
  }
}

/** One CSV field as PostgreSQL's COPY (FORMAT csv) and spreadsheets read it back. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value.trim() !== value ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvRecord(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\n`;
}
