import { to as copyTo } from 'pg-copy-streams';

/**
 * `COPY ... TO STDOUT` as a readable stream of the rows' bytes, like pg-copy-streams' `to`, with
 * a leaner parser of the protocol: PostgreSQL sends one CopyData message per row, and the stock
 * parser makes a Buffer slice of each, then joins them per socket read (two million objects for
 * the table, and a copy). This one moves each row's bytes over the 5-byte message headers inside
 * the socket read itself (`copyWithin`: no object, no new memory per row) and hands out the read's
 * front, rows only. Everything else (attaching to the connection, handing the messages after the
 * COPY back to pg) is pg-copy-streams' own.
 */
export type CopyOutStream = ReturnType<typeof copyTo>;

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
/** Messages PostgreSQL may send inside a COPY: skipped (CopyOutResponse, ParameterStatus, notices, notifications). */
const SKIPPED = new Set([0x48, 0x53, 0x4e, 0x41]);

/** The members of pg-copy-streams' CopyStreamQuery this parser uses (7.x). */
interface CopyStreamInternals {
  _buffer: { push(chunk: Buffer): void };
  _detach(): void;
  _cleanup(): void;
  push(chunk: Buffer | null): boolean;
}

type CopyStreamConstructor = new (text: string, options?: object) => CopyOutStream;
const CopyStreamQuery = Object.getPrototypeOf(copyTo('')).constructor as CopyStreamConstructor;

type Step = { state: 'more'; drained: boolean } | { state: 'done' | 'error' | 'other'; rest: Buffer };

/**
 * Walks the protocol messages across socket reads; pure bookkeeping, tested on its own. It owns
 * each read it is given (a socket read is nobody else's): the rows are compacted to its front.
 */
export class CopyDataFramer {
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private code = 0;
  /** Bytes of the current message's body still to come. */
  private remaining = 0;

  constructor(private readonly emit: (bytes: Buffer) => boolean) {}

  /**
   * Takes one socket read. Returns how it ended: `more` (wants the next read; `drained` false when
   * the reader is full), or `done`/`error` with the bytes after the COPY, which belong to pg.
   */
  take(chunk: Buffer): Step {
    const length = chunk.length;
    let at = 0;
    // Rows end at `written`: it never passes `at`, so what is still to be read is never overwritten.
    let written = 0;
    let remaining = this.remaining;
    let code = this.code;
    let ended: Step | null = null;
    while (at < length) {
      if (remaining > 0) {
        const end = remaining < length - at ? at + remaining : length;
        if (code === COPY_DATA) {
          if (written !== at) chunk.copyWithin(written, at, end);
          written += end - at;
        }
        remaining -= end - at;
        at = end;
        continue;
      }
      // An error ends the COPY: pg reads the whole message, code byte included.
      if (this.headerFill === 0 && chunk[at] === ERROR_RESPONSE) {
        ended = { state: 'error', rest: chunk.subarray(at) };
        break;
      }
      if (this.headerFill === 0 && at + 5 <= length) {
        code = chunk[at]!;
        remaining = ((chunk[at + 1]! << 24) | (chunk[at + 2]! << 16) | (chunk[at + 3]! << 8) | chunk[at + 4]!) - 4;
        at += 5;
      } else {
        // A header cut by the socket read: gathered across reads.
        while (this.headerFill < 5 && at < length) this.header[this.headerFill++] = chunk[at++]!;
        if (this.headerFill < 5) break;
        this.headerFill = 0;
        code = this.header[0]!;
        remaining = this.header.readUInt32BE(1) - 4;
      }
      if (code === COPY_DONE) {
        ended = { state: 'done', rest: chunk.subarray(at + remaining) };
        break;
      }
      // Anything unexpected goes back to pg whole, header first, as the end of the COPY.
      if (code !== COPY_DATA && !SKIPPED.has(code)) {
        const header = Buffer.alloc(5);
        header[0] = code;
        header.writeUInt32BE(remaining + 4, 1);
        ended = { state: 'other', rest: Buffer.concat([header, chunk.subarray(at)]) };
        break;
      }
    }
    this.remaining = remaining;
    this.code = code;
    const drained = written > 0 ? this.emit(chunk.subarray(0, written)) : true;
    return ended ?? { state: 'more', drained };
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
