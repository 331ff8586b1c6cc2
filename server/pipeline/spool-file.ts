import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
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

export async function createSpoolFile(name: string, parent = tmpdir()): Promise<SpoolFile> {
  const folder = await mkdtemp(join(parent, 'stockflow-spool-'));
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
