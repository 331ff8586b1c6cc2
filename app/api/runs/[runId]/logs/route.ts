import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getServices } from '@/app/_lib/services';
import { currentUser } from '@/app/_lib/session';
import { runIdSchema } from '@/server/runs/run-id';

export const dynamic = 'force-dynamic';

const querySchema = z.object({
  step: z.string().regex(/^[a-z_]{1,40}$/),
  after: z.string().max(500).optional(),
  try: z.coerce.number().int().min(1).optional(),
  tail: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** A page of one step's log: ?step=load&after=CURSOR, or ?tail=N to open at the end. */
export async function GET(request: Request, { params }: { params: Promise<{ runId: string }> }) {
  if (!(await currentUser())) return NextResponse.json({ error: 'sign in first' }, { status: 401 });
  const query = querySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) return NextResponse.json({ error: query.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') }, { status: 400 });
  const runId = runIdSchema.safeParse(decodeURIComponent((await params).runId));
  if (!runId.success) return NextResponse.json({ error: runId.error.issues[0]?.message }, { status: 400 });
  try {
    const page = await (await getServices()).orchestrator.readLog(runId.data, query.data.step, {
      after: query.data.after ?? null,
      tryNumber: query.data.try,
      tail: query.data.tail,
      limit: 2000,
    });
    return NextResponse.json(page);
  } catch (error) {
    // By name, not instanceof: the services singleton may come from another route's bundle, whose
    // copy of these classes is not this one's.
    const name = error instanceof Error ? error.name : '';
    if (name === 'InvalidCursorError') return NextResponse.json({ error: (error as Error).message }, { status: 400 });
    if (name === 'RunNotFoundError') return NextResponse.json({ error: (error as Error).message }, { status: 404 });
    throw error;
  }
}
