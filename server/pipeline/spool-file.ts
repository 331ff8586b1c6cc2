import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';

import type { LocalFile } from '../ports/object-store';

/**
 * A temporary file written through `stream`, counting its bytes and their CRC32 on the way, so a
 * store can send it whole once it is complete (a single PutObject needs the length up front) and
 * have it checked. `remove` deletes it (and its folder), whatever happened.
 */
export interface SpoolFile {
  stream: Writable;
  /** The file once `stream` finished and the file is closed; rejects when either failed. */
  finished: Promise<LocalFile>;
  remove(): Promise<void>;
}

const FOLDER_PREFIX = 'stockflow-spool-';
/** A spool folder untouched this long was left by a killed process (a live one writes or sends its file within minutes). */
const LEFT_BEHIND_MS = 6 * 60 * 60_000;

export async function createSpoolFile(name: string, parent = tmpdir()): Promise<SpoolFile> {
  await mkdir(parent, { recursive: true });
  await removeLeftBehind(parent);
  const folder = await mkdtemp(join(parent, FOLDER_PREFIX));
  const path = join(folder, name);
  const counter = new CountingFileWriter(createWriteStream(path, { flags: 'wx', highWaterMark: 1 << 20 }));
  const finished = new Promise<LocalFile>((resolve, reject) => {
    counter.once('error', reject);
    counter.once('finish', () => resolve({ path, size: counter.size, crc32: counter.crc32 }));
  });
  // Whoever awaits `finished` sees the error; an unawaited rejection must not crash the process.
  finished.catch(() => {});
  return {
    stream: counter,
    finished,
    async remove() {
      if (!counter.writableFinished) counter.destroy(new Error(`${path} was removed before it was finished`));
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** Spool folders of killed processes (never fails: a folder it cannot remove is left for next time). */
async function removeLeftBehind(parent: string): Promise<void> {
  const cutoff = Date.now() - LEFT_BEHIND_MS;
  for (const entry of await readdir(parent, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !entry.name.startsWith(FOLDER_PREFIX)) continue;
    const folder = join(parent, entry.name);
    const touched = await newestChange(folder);
    if (touched !== null && touched < cutoff) await rm(folder, { recursive: true, force: true }).catch(() => {});
  }
}

/** The latest change to the folder or a file in it, or null when it cannot be read. */
async function newestChange(folder: string): Promise<number | null> {
  try {
    const times = [(await stat(folder)).mtimeMs];
    for (const name of await readdir(folder)) times.push((await stat(join(folder, name))).mtimeMs);
    return Math.max(...times);
  } catch {
    return null;
  }
}

/** Passes chunks to a file stream with its backpressure, and finishes only once the file is closed. */
class CountingFileWriter extends Writable {
  size = 0;
  crc32 = 0;

  constructor(private readonly file: WriteStream) {
    super({ highWaterMark: 1 << 20 });
    file.on('error', (error) => this.destroy(error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.size += chunk.length;
    this.crc32 = crc32(chunk, this.crc32);
    if (this.file.write(chunk)) callback();
    else this.file.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.file.once('close', () => callback());
    this.file.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.file.destroy();
    callback(error);
  }
}
