import { Readable } from 'node:stream';

import { NextResponse } from 'next/server';

import { getServices } from '@/app/_lib/services';
import { withUser } from '@/app/_lib/with-user';
import { logTextPages } from '@/server/runs/log-text';

import { LOG_LEVELS, logSelectionSchema, parseQuery, parseRunId } from '../log-query';

export const dynamic = 'force-dynamic';

/** A step's whole log (one try, or all) as a text file, streamed a page at a time from the database. */
export const GET = withUser('viewer', async (request: Request, _user, { params }: { params: Promise<{ runId: string }> }) => {
  const query = parseQuery(logSelectionSchema, request);
  if (!query.ok) return query.response;
  const runId = parseRunId((await params).runId);
  if (!runId.ok) return runId.response;
  const services = await getServices();
  if (!(await services.orchestrator.getRun(runId.data))) return NextResponse.json({ error: `no run ${runId.data}` }, { status: 404 });
  const { step, level, q } = query.data;
  const tryNumber = query.data.try;
  const text = logTextPages(services.runs, runId.data, step, { tryNumber, levels: level ? [...LOG_LEVELS[level]] : undefined, contains: q });
  const filename = `${runId.data}-${step}${tryNumber ? `-try${tryNumber}` : ''}.log`.replace(/[^\w.-]/g, '_');
  return new Response(Readable.toWeb(Readable.from(text)) as ReadableStream, {
    headers: { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"`, 'cache-control': 'no-store' },
  });
});
