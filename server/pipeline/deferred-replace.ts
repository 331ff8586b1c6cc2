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
  return {
    rows,
    async commit(expectedRows, options) {
      if (!rows.writableEnded) rows.end();
      await finished(rows).catch(() => {});
      const open = await begin();
      return open.commit(expectedRows, options);
    },
    async abort() {
      rows.destroy();
      const open = await session?.catch(() => null);
      await open?.abort();
    },
  };
}
