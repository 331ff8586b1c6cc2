import { NextResponse } from 'next/server';
import { searchCompanies } from '@/server/read-models/company-chart';
import { getServices } from '@/app/_lib/services';
import { currentUser } from '@/app/_lib/session';

export const dynamic = 'force-dynamic';

export async function GET(request: Request) {
  if (!(await currentUser())) return NextResponse.json({ error: 'sign in first' }, { status: 401 });
  const prefix = (new URL(request.url).searchParams.get('q') ?? '').slice(0, 56);
  return NextResponse.json({ companies: await searchCompanies((await getServices()).pool, prefix) });
}
