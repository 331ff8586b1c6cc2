import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

import { ObjectNotFoundError, type ObjectStore } from '../ports/object-store';
import { streamToString } from './streams';
import type { FileReport, Manifest } from './transform';

/**
 * manifest.json as written and read without holding it whole: a run of 100,000 files has as many
 * file reports (~60 MB as one indented string). It is plain JSON, with `files` last and one report
 * per line, so a reader can take the header and then only the reports it wants, line by line.
 */

export type ManifestHeader = Omit<Manifest, 'files'>;

/** Strings are gathered into pieces of about this size before they are handed to the stream. */
const PIECE_CHARS = 64 * 1024;

/** The manifest's JSON text in pieces, the reports taken from `files` one at a time. */
export function manifestJson(header: ManifestHeader, files: Iterable<FileReport>): Readable {
  return Readable.from(
    (function* () {
      const { files: _dropped, ...fields } = header as Manifest;
      const head = JSON.stringify(fields, null, 2);
      // head ends with "\n}": the reports go in before that brace.
      let piece = `${head.slice(0, -2)},\n  "files": [`;
      let first = true;
      for (const report of files) {
        piece += `${first ? '\n    ' : ',\n    '}${JSON.stringify(report)}`;
        first = false;
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
        }
      }
      yield `${piece}${first ? ']' : '\n  ]'}\n}\n`;
    })(),
    { objectMode: false },
  );
}

/** Writes a manifest under `key`. */
export function putManifest(source: ObjectStore, key: string, header: ManifestHeader, files: Iterable<FileReport>): Promise<void> {
  return source.put(key, manifestJson(header, files), { contentType: 'application/json' });
}

export interface ReadManifestOptions {
  /** Reports to keep (all when absent); the others are parsed one at a time and dropped. */
  keep?: (report: FileReport) => boolean;
  /** Only the header: the reports are not read at all. */
  headerOnly?: boolean;
}

/**
 * Reads the manifest under `key`, or null when there is none or it is not JSON. Manifests in
 * another layout (earlier versions indented each report) are parsed whole: they come from batches
 * of at most 1,000 files.
 */
export async function readManifest(source: ObjectStore, key: string, options: ReadManifestOptions = {}): Promise<Manifest | null> {
  let stream: Readable;
  try {
    stream = await source.get(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return null;
    throw error;
  }
  const headerLines: string[] = [];
  const files: FileReport[] = [];
  // header: before "files"; reports: one per line; done: the reports ended; other: another layout.
  let state: 'header' | 'reports' | 'done' | 'other' = 'header';
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const text = line.trim();
      if (state === 'header') {
        // The manifest's own "files" is indented once (totals has a "files" too, deeper).
        if (line === '  "files": [') state = options.headerOnly ? 'done' : 'reports';
        else if (line === '  "files": []') state = 'done';
        else if (line.startsWith('  "files":')) state = 'other';
        else headerLines.push(line);
      } else if (text.startsWith(']')) {
        state = 'done';
      } else if (text.startsWith('{"')) {
        const report = JSON.parse(text.endsWith(',') ? text.slice(0, -1) : text) as FileReport;
        if (!options.keep || options.keep(report)) files.push(report);
      } else {
        state = 'other';
      }
      if (state === 'done' || state === 'other') break;
    }
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  } finally {
    lines.close();
    stream.destroy();
  }
  if (state !== 'done') return parseWhole(source, key, options.keep);
  try {
    // The line before "files" ends with a comma: the header closes as an object with no reports.
    return { ...(JSON.parse(`${headerLines.join('\n')}\n"files": []}`) as ManifestHeader), files };
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

async function parseWhole(source: ObjectStore, key: string, keep?: (report: FileReport) => boolean): Promise<Manifest | null> {
  try {
    const manifest = JSON.parse(await streamToString(await source.get(key))) as Manifest;
    if (!manifest || typeof manifest !== 'object' || !Array.isArray(manifest.files)) return null;
    return keep ? { ...manifest, files: manifest.files.filter(keep) } : manifest;
  } catch (error) {
    if (error instanceof ObjectNotFoundError || error instanceof SyntaxError) return null;
    throw error;
  }
}
