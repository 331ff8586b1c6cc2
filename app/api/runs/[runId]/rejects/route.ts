import { Readable } from 'node:stream';
import { NextResponse } from 'next/server';
import { KEYS } from '@/server/pipeline/context';
import { ObjectNotFoundError } from '@/server/ports/object-store';
import { getServices } from '@/app/_lib/services';
import { currentUser } from '@/app/_lib/session';

export const dynamic = 'force-dynamic';

/** The latest rejects.csv of the source bucket (each run rewrites it). */
export async function GET() {
  if (!(await currentUser())) return NextResponse.json({ error: 'sign in first' }, { status: 401 });
  try {
    const stream = await (await getServices()).source.get(KEYS.rejects);
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="rejects.csv"' },
    });
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return NextResponse.json({ error: 'no rejects.csv yet' }, { status: 404 });
    throw error;
  }
}
