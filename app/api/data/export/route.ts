import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';

import { NextResponse } from 'next/server';
import { z } from 'zod';

import { getServices } from '@/app/_lib/services';
import { withUser } from '@/app/_lib/with-user';
import { exportCsv } from '@/server/read-models/data-export';
import { parseDataQuery } from '@/server/read-models/data-page';

export const dynamic = 'force-dynamic';

/** `gzip` given at most once, as 1 or 0: a misspelt value is an error, not silently plain CSV. */
const gzipParameter = z
  .array(z.enum(['0', '1']))
  .max(1)
  .transform((values) => values[0] ?? '0');

/**
 * The data page's filtered, sorted view as CSV, streamed from the database; `gzip=1` sends it as
 * a .csv.gz file compressed at level 1 (a third of the bytes, for slow links).
 */
export const GET = withUser('viewer', async (request: Request, user) => {
  const params = new URL(request.url).searchParams;
  const format = gzipParameter.safeParse(params.getAll('gzip'));
  if (!format.success) return NextResponse.json({ error: 'gzip: 1 for a .csv.gz file, 0 or left out for plain CSV' }, { status: 400 });
  const gzip = format.data === '1';
  params.delete('gzip');
  // Checked before the stream starts: a bad filter is a 400, not a download that breaks.
  const raw = searchParamsRecord(params);
  const { problems } = parseDataQuery(raw);
  if (Object.keys(problems).length > 0)
    return NextResponse.json(
      {
        error: Object.entries(problems)
          .map(([field, message]) => `${field}: ${message}`)
          .join('; '),
      },
      { status: 400 },
    );
  const services = await getServices();
  const release = services.exportSlots.acquire(user.id);
  if (!release) return NextResponse.json({ error: 'You have two exports running; wait for one to finish.' }, { status: 429 });
  const rows = exportCsv(services.exportPool(), raw);
  const stamp = new Date().toISOString().slice(0, 10);
  const name = `historical_stocks_data-${stamp}.csv${gzip ? '.gz' : ''}`;
  return new Response(byteStream(gzip ? gzipped(rows) : rows, release), {
    headers: {
      'content-type': gzip ? 'application/gzip' : 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      // no-transform: Next.js would gzip the plain CSV itself at zlib's default level, a third of
      // the export's speed (the gzip=1 file is the small one, at level 1, for slow links).
      'cache-control': 'no-store, no-transform',
    },
  });
});

/** Level 1: gzip's default level would make the compression, not the database, the limit. */
function gzipped(rows: AsyncGenerator<Buffer>): AsyncIterator<Buffer> {
  const compressed = pipeline(Readable.from(rows, { objectMode: false }), createGzip({ level: 1 }), () => {});
  return compressed[Symbol.asyncIterator]();
}

/** Pulled chunk by chunk, so the database is read only as fast as the download goes. */
function byteStream(source: AsyncIterator<Buffer>, release: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await source.next();
        if (next.done) {
          release();
          controller.close();
        } else controller.enqueue(next.value);
      } catch (error) {
        release();
        // Erroring the stream aborts the download: a partial file is never passed off as complete.
        controller.error(error);
      }
    },
    // The browser went away: end the query and free the connection now.
    async cancel() {
      release();
      await source.return?.(undefined);
    },
  });
}

/** Repeated parameters (one hide checkbox per column) kept as lists, like a page's searchParams. */
function searchParamsRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    record[key] = values.length === 1 ? values[0]! : values;
  }
  return record;
}
