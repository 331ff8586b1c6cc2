import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

import type { LoadSource, ReplaceScope, ReplaceSession, StockTable } from '../ports/stock-table';
import { writeChunk } from './streams';

/**
 * A replace session that begins (transaction, table lock, DELETE) only when the first rows arrive,
 * or at commit when none do: reads that are slow or stall before any file is complete hold no lock.
 * Once begun, a stalled read holds it at most as long as the object store's timeouts and the file
 * retries allow (docs/RELIABILITY.md).
 */
export function deferredReplace(stocks: StockTable, companies: readonly string[], options: { estimatedRows?: number; scope?: ReplaceScope; source?: LoadSource }): ReplaceSession {
  let session: Promise<ReplaceSession> | null = null;
  const begin = (): Promise<ReplaceSession> => (session ??= stocks.beginReplace(companies, options));
  const rows = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      begin()
        .then((open) => writeChunk(open.rows, chunk))
        .then(() => callback(), callback);
    },
  });
  // Write errors resurface at commit (the session keeps the COPY's own error).
  rows.on('error', () => {});
  // The session once every row reached it (begun at the end when none came).
  let complete: Promise<ReplaceSession> | null = null;
  const allRowsIn = (): Promise<ReplaceSession> => {
    if (!rows.writableEnded) rows.end();
    return (complete ??= finished(rows)
      .catch(() => {})
      .then(begin));
  };
  return {
    rows,
    prepare(expectedRows, options) {
      allRowsIn().then(
        (open) => open.prepare(expectedRows, options),
        () => {},
      );
    },
    async commit(expectedRows, options) {
      const open = await allRowsIn();
      return open.commit(expectedRows, options);
    },
    async abort() {
      rows.destroy();
      // After a prepare, the session it reached (its prepare is called before this abort).
      const open = await (complete ?? session)?.catch(() => null);
      await open?.abort();
    },
  };
}
