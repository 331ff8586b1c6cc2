import { NextResponse } from 'next/server';

import { getServices } from '@/app/_lib/services';
import { withUser } from '@/app/_lib/with-user';

import { type FilteredLogPage, LOG_LEVELS, logPageQuerySchema, parseQuery, parseRunId } from './log-query';

export const dynamic = 'force-dynamic';

/**
 * A page of one step's log: ?step=load&after=CURSOR, or ?tail=N to open at the end; try=N for one
 * try, level=warn for WARN and ERROR only, q=text for the lines containing it (searched in the
 * database over the whole log, not in the lines the page holds).
 */
export const GET = withUser('viewer', async (request: Request, _user, { params }: { params: Promise<{ runId: string }> }) => {
  const query = parseQuery(logPageQuerySchema, request);
  if (!query.ok) return query.response;
  const runId = parseRunId((await params).runId);
  if (!runId.ok) return runId.response;
  const { step, after, tail, level, q } = query.data;
  const filter = { tryNumber: query.data.try, levels: level ? [...LOG_LEVELS[level]] : undefined, contains: q };
  try {
    const services = await getServices();
    const options = { after: after ?? null, tail, limit: 2000 };
    // Filters are answered from stockflow.task_logs, where every engine's steps log.
    const filtered = filter.levels !== undefined || filter.contains !== undefined;
    const page = filtered
      ? await services.runs.readLog(runId.data, step, { ...options, ...filter })
      : await services.orchestrator.readLog(runId.data, step, { ...options, tryNumber: filter.tryNumber });
    const matches = filter.contains && !after ? await services.runs.countLogLines(runId.data, step, filter) : null;
    return NextResponse.json({ ...page, matches } satisfies FilteredLogPage);
  } catch (error) {
    // By name, not instanceof: the services singleton may come from another route's bundle, whose
    // copy of these classes is not this one's.
    const name = error instanceof Error ? error.name : '';
    if (name === 'InvalidCursorError') return NextResponse.json({ error: (error as Error).message }, { status: 400 });
    if (name === 'RunNotFoundError') return NextResponse.json({ error: (error as Error).message }, { status: 404 });
    throw error;
  }
});
