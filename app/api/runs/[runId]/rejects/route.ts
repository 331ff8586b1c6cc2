import { Readable } from 'node:stream';

import { NextResponse } from 'next/server';

import { getServices } from '@/app/_lib/services';
import { withUser } from '@/app/_lib/with-user';
import { openRunRejects } from '@/server/pipeline/output-layout';
import { runIdSchema } from '@/server/runs/run-id';

export const dynamic = 'force-dynamic';

/** The run's rejects.csv, kept under Output/runs/<run id>/ until a later run removes it (output-layout.ts). */
export const GET = withUser('viewer', async (request: Request, _user, { params }: { params: Promise<{ runId: string }> }) => {
  const runId = runIdSchema.parse(decodeURIComponent((await params).runId));
  const { source } = await getServices();
  const stream = await openRunRejects(source, runId);
  if (!stream) {
    return NextResponse.json({ error: `no rejects.csv for run ${runId}: not written yet, or removed after a later run` }, { status: 404 });
  }
  return new Response(Readable.toWeb(stream) as ReadableStream, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="rejects-${runId.replace(/[^\w.-]/g, '_')}.csv"` },
  });
});
