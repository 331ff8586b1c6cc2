import { Readable } from 'node:stream';

import type { ObjectStore } from '../ports/object-store';

export interface ReadAheadOptions {
  /** Requests in flight at once. */
  requests: number;
  /** Listed bytes held ahead of the reader at most (fetched and not yet taken). */
  budgetBytes: number;
  /** Larger files are not fetched ahead: the reader streams them when it gets to them. */
  largestFileBytes: number;
}

interface Ahead {
  size: number;
  /** The body as the socket gave it: the reader takes chunks, so they are not joined (a copy of every byte). */
  body: Promise<Buffer[]>;
}

/**
 * An object store that fetches the files the reader will ask for next, in its order, many at a
 * time: a GET's round trip (tens of milliseconds on S3 for a small object) then overlaps the
 * reading of the files before it, with no more reader state alive than the reader's own
 * concurrency. A file is fetched ahead once: asked again (a retry) it is read from the source.
 */
export class ReadAheadStore implements ObjectStore {
  readonly location: string;
  readonly remote: boolean;
  private readonly ahead = new Map<string, Ahead>();
  private readonly open = new Set<Readable>();
  private next = 0;
  private inFlight = 0;
  private heldBytes = 0;
  private closed = false;

  constructor(
    private readonly source: ObjectStore,
    private readonly files: ReadonlyArray<{ key: string; size: number }>,
    private readonly options: ReadAheadOptions,
  ) {
    this.location = source.location;
    this.remote = source.remote;
    this.fill();
  }

  async get(key: string): Promise<Readable> {
    const entry = this.ahead.get(key);
    if (!entry) return this.source.get(key);
    this.ahead.delete(key);
    try {
      return Readable.from(await entry.body, { objectMode: false });
    } finally {
      this.heldBytes -= entry.size;
      this.fill();
    }
  }

  /** Stops fetching and drops what was fetched and not taken. */
  close(): void {
    this.closed = true;
    for (const stream of this.open) stream.destroy();
    this.ahead.clear();
  }

  private fill(): void {
    const { requests, budgetBytes, largestFileBytes } = this.options;
    while (!this.closed && this.next < this.files.length && this.inFlight < requests) {
      const file = this.files[this.next]!;
      if (file.size > largestFileBytes || this.ahead.has(file.key)) {
        this.next += 1;
        continue;
      }
      // Always one file ahead, even past the budget, so a run of large files still overlaps.
      if (this.heldBytes > 0 && this.heldBytes + file.size > budgetBytes) return;
      this.next += 1;
      this.inFlight += 1;
      this.heldBytes += file.size;
      const body = this.fetch(file.key);
      // The reader sees a failed fetch when it asks for the file (and reads it again itself).
      body
        .catch(() => {})
        .finally(() => {
          this.inFlight -= 1;
          this.fill();
        });
      this.ahead.set(file.key, { size: file.size, body });
    }
  }

  private async fetch(key: string): Promise<Buffer[]> {
    const stream = await this.source.get(key);
    if (this.closed) {
      stream.destroy();
      throw new Error('read-ahead closed');
    }
    this.open.add(stream);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      return chunks;
    } finally {
      this.open.delete(stream);
    }
  }

  list(prefix: string): ReturnType<ObjectStore['list']> {
    return this.source.list(prefix);
  }
  listVersions(prefix: string): ReturnType<ObjectStore['listVersions']> {
    return this.source.listVersions(prefix);
  }
  put(...args: Parameters<ObjectStore['put']>): ReturnType<ObjectStore['put']> {
    return this.source.put(...args);
  }
  putFile(...args: Parameters<ObjectStore['putFile']>): ReturnType<ObjectStore['putFile']> {
    return this.source.putFile(...args);
  }
  head(key: string): ReturnType<ObjectStore['head']> {
    return this.source.head(key);
  }
  delete(key: string): ReturnType<ObjectStore['delete']> {
    return this.source.delete(key);
  }
  copy(from: string, to: string): ReturnType<ObjectStore['copy']> {
    return this.source.copy(from, to);
  }
  removeInterruptedWrites(prefix: string, before: Date): ReturnType<ObjectStore['removeInterruptedWrites']> {
    return this.source.removeInterruptedWrites(prefix, before);
  }
}
