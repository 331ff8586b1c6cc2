import { NextResponse } from 'next/server';
import { z } from 'zod';

import { getServices } from '@/app/_lib/services';
import { withUser } from '@/app/_lib/with-user';
import { searchCompanies } from '@/server/read-models/company-chart';

export const dynamic = 'force-dynamic';

// Company names are at most 56 characters (varchar(56)); other characters are dropped by the search.
const searchSchema = z.object({ q: z.string().max(56, 'at most 56 characters').default('') });

export const GET = withUser('viewer', async (request: Request, _user) => {
  const parsed = searchSchema.safeParse({ q: new URL(request.url).searchParams.get('q') ?? undefined });
  if (!parsed.success) return NextResponse.json({ error: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') }, { status: 400 });
  return NextResponse.json({ companies: await searchCompanies((await getServices()).pool, parsed.data.q) });
});
