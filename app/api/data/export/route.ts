import { NextResponse } from 'next/server';

import { getServices } from '@/app/_lib/services';
import { withUser } from '@/app/_lib/with-user';
import { exportCsv } from '@/server/read-models/data-export';
import { parseDataQuery } from '@/server/read-models/data-page';

export const dynamic = 'force-dynamic';

/** The data page's filtered, sorted view as CSV, streamed from the database. */
export const GET = withUser('viewer', async (request: Request, user) => {
  // Checked before the stream starts: a bad filter is a 400, not a download that breaks.
  const raw = searchParamsRecord(new URL(request.url).searchParams);
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
  // CSV bytes as PostgreSQL wrote them (COPY), in chunks of about 256 KiB, one per pull.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await rows.next();
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
      await rows.return(undefined);
    },
  });
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="historical_stocks_data-${stamp}.csv"`, 'cache-control': 'no-store' },
  });
});

/** Repeated parameters (one hide checkbox per column) kept as lists, like a page's searchParams. */
function searchParamsRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    record[key] = values.length === 1 ? values[0]! : values;
  }
  return record;
}
