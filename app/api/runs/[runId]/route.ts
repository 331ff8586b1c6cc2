import { NextResponse } from 'next/server';
import { loadRunDetail } from '@/server/read-models/run-detail';
import { getServices } from '@/app/_lib/services';
import { currentUser } from '@/app/_lib/session';

export const dynamic = 'force-dynamic';

export async function GET(_request: Request, { params }: { params: Promise<{ runId: string }> }) {
  if (!(await currentUser())) return NextResponse.json({ error: 'sign in first' }, { status: 401 });
  const { runId } = await params;
  const detail = await loadRunDetail(await getServices(), decodeURIComponent(runId));
  if (!detail) return NextResponse.json({ error: `no run ${runId}` }, { status: 404 });
  return NextResponse.json(detail);
}
