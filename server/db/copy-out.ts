import { to as copyTo } from 'pg-copy-streams';

/**
 * `COPY ... TO STDOUT` as a readable stream of the rows' bytes, like pg-copy-streams' `to`, with
 * a leaner parser of the protocol: PostgreSQL sends one CopyData message per row, and the stock
 * parser makes a Buffer slice of each, then joins them per socket read (two million objects for
 * the table, and a copy). This one copies each row's bytes straight into 256 KiB slabs and hands
 * out whole slabs (the last one short), so nothing downstream joins small pieces again.
 * Everything else (attaching to the connection, handing the messages after the COPY back to pg)
 * is pg-copy-streams' own.
 */
export type CopyOutStream = ReturnType<typeof copyTo>;

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
/** Messages PostgreSQL may send inside a COPY: skipped (CopyOutResponse, ParameterStatus, notices, notifications). */
const SKIPPED = new Set([0x48, 0x53, 0x4e, 0x41]);
const SLAB_BYTES = 256 * 1024;

/** The members of pg-copy-streams' CopyStreamQuery this parser uses (7.x). */
interface CopyStreamInternals {
  _buffer: { push(chunk: Buffer): void };
  _detach(): void;
  _cleanup(): void;
  push(chunk: Buffer | null): boolean;
}

type CopyStreamConstructor = new (text: string, options?: object) => CopyOutStream;
const CopyStreamQuery = Object.getPrototypeOf(copyTo('')).constructor as CopyStreamConstructor;

/** Walks the protocol messages across socket reads; pure bookkeeping, tested on its own. */
export class CopyDataFramer {
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private code = 0;
  private remaining = 0;
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabEnd = 0;

  constructor(private readonly emit: (bytes: Buffer) => boolean) {}

  /**
   * Takes one socket read. Returns how it ended: `more` (wants the next read; `drained` false when
   * the reader is full), or `done`/`error` with the bytes after the COPY, which belong to pg.
   */
  take(chunk: Buffer): { state: 'more'; drained: boolean } | { state: 'done' | 'error' | 'other'; rest: Buffer } {
    let drained = true;
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const end = Math.min(chunk.length, at + this.remaining);
        if (this.code === COPY_DATA) drained = this.copy(chunk, at, end) && drained;
        this.remaining -= end - at;
        at = end;
        continue;
      }
      // An error ends the COPY: pg reads the whole message, code byte included.
      if (this.headerFill === 0 && chunk[at] === ERROR_RESPONSE) return this.finish('error', chunk.subarray(at));
      while (this.headerFill < 5 && at < chunk.length) this.header[this.headerFill++] = chunk[at++]!;
      if (this.headerFill < 5) break;
      this.headerFill = 0;
      this.code = this.header[0]!;
      this.remaining = this.header.readUInt32BE(1) - 4;
      if (this.code === COPY_DONE) return this.finish('done', chunk.subarray(at + this.remaining));
      // Anything unexpected goes back to pg whole, header first, as the end of the COPY.
      if (this.code !== COPY_DATA && !SKIPPED.has(this.code)) return this.finish('other', Buffer.concat([this.header, chunk.subarray(at)]));
    }
    return { state: 'more', drained };
  }

  private finish(state: 'done' | 'error' | 'other', rest: Buffer): { state: 'done' | 'error' | 'other'; rest: Buffer } {
    this.flush();
    return { state, rest };
  }

  private copy(chunk: Buffer, from: number, to: number): boolean {
    let drained = true;
    while (from < to) {
      const size = Math.min(to - from, this.slab.length - this.slabEnd);
      chunk.copy(this.slab, this.slabEnd, from, from + size);
      this.slabEnd += size;
      from += size;
      if (this.slabEnd === this.slab.length) drained = this.flush() && drained;
    }
    return drained;
  }

  private flush(): boolean {
    if (this.slabEnd === 0) return true;
    const full = this.slab.subarray(0, this.slabEnd);
    this.slab = Buffer.allocUnsafe(SLAB_BYTES);
    this.slabEnd = 0;
    return this.emit(full);
  }
}

class LeanCopyOut extends CopyStreamQuery {
  private readonly framer = new CopyDataFramer((bytes) => this.push(bytes));

  // Replaces CopyStreamQuery#_parse (called by its _forward for each socket read).
  _parse(chunk: Buffer): boolean {
    const self = this as unknown as CopyStreamInternals;
    const step = this.framer.take(chunk);
    if (step.state === 'more') return step.drained;
    self._buffer.push(step.rest);
    self._detach();
    if (step.state !== 'error') {
      self.push(null);
      self._cleanup();
    }
    return false;
  }
}

export function copyOut(sql: string): CopyOutStream {
  return new LeanCopyOut(sql);
}
