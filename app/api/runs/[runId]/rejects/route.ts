import { Readable } from 'node:stream';
import { NextResponse } from 'next/server';
import { KEYS } from '@/server/pipeline/context';
import { streamToString } from '@/server/pipeline/streams';
import { ObjectNotFoundError } from '@/server/ports/object-store';
import { getServices } from '@/app/_lib/services';
import { currentUser } from '@/app/_lib/session';

export const dynamic = 'force-dynamic';

/** The run's rejects.csv: Output/ holds the latest run's files, so older runs get a clear 410. */
export async function GET(_request: Request, { params }: { params: Promise<{ runId: string }> }) {
  if (!(await currentUser())) return NextResponse.json({ error: 'sign in first' }, { status: 401 });
  const runId = decodeURIComponent((await params).runId);
  const { source } = await getServices();
  try {
    const manifest = JSON.parse(await streamToString(await source.get(KEYS.manifest))) as { runId?: string };
    if (manifest.runId !== runId) {
      return NextResponse.json({ error: `Output/ now holds the files of run ${manifest.runId}; the rejects of ${runId} were replaced` }, { status: 410 });
    }
    const stream = await source.get(KEYS.rejects);
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="rejects-${runId.replace(/[^\w.-]/g, '_')}.csv"` },
    });
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return NextResponse.json({ error: 'no rejects.csv yet' }, { status: 404 });
    throw error;
  }
}
