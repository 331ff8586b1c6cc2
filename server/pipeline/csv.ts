import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** The CSV codec the pipeline needs: physical lines in, fields out, and fields back to CSV. */

export interface SourceLine {
  /** 1-based physical line number in the file. */
  number: number;
  /** The line without its line ending (and without a leading UTF-8 BOM on line 1). */
  text: string;
}

/** Splits a byte stream into lines (LF or CRLF), decoding UTF-8 across chunk boundaries. */
export async function* readLines(stream: Readable, onBytes?: (chunk: Buffer) => void): AsyncGenerator<SourceLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  for await (const data of stream) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
    onBytes?.(chunk);
    pending += decoder.write(chunk);
    let start = 0;
    let newline = pending.indexOf('\n', start);
    while (newline !== -1) {
      number += 1;
      yield { number, text: cleanLine(pending.slice(start, newline), number) };
      start = newline + 1;
      newline = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending.length > 0) {
    number += 1;
    yield { number, text: cleanLine(pending, number) };
  }
}

function cleanLine(text: string, number: number): string {
  let line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (number === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
  return line;
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
