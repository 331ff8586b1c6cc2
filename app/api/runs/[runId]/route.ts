import { NextResponse } from 'next/server';

import { getServices } from '@/app/_lib/services';
import { withUser } from '@/app/_lib/with-user';
import { loadRunDetail } from '@/server/read-models/run-detail';
import { runIdSchema } from '@/server/runs/run-id';

export const dynamic = 'force-dynamic';

export const GET = withUser('viewer', async (request: Request, _user, { params }: { params: Promise<{ runId: string }> }) => {
  const runId = runIdSchema.safeParse(decodeURIComponent((await params).runId));
  if (!runId.success) return NextResponse.json({ error: runId.error.issues[0]?.message }, { status: 400 });
  const detail = await loadRunDetail(await getServices(), runId.data);
  if (!detail) return NextResponse.json({ error: `no run ${runId.data}` }, { status: 404 });
  return NextResponse.json(detail);
});
