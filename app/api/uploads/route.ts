import { NextResponse } from 'next/server';

import { getServices } from '@/app/_lib/services';
import { currentUser } from '@/app/_lib/session';
import { receiveUpload } from '@/server/uploads/receive-upload';

export const dynamic = 'force-dynamic';

/** Uploads into a folder source bucket (an S3 one takes presigned PUTs directly). */
export async function PUT(request: Request) {
  const services = await getServices();
  if (services.config.source.kind !== 'folder') {
    return NextResponse.json({ error: 'the source bucket is on S3: uploads go there with a presigned URL' }, { status: 404 });
  }
  try {
    const receipt = await receiveUpload(request, { store: services.source, user: await currentUser() });
    return NextResponse.json(receipt.body, { status: receipt.status });
  } catch (error) {
    console.error(`upload failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return NextResponse.json({ error: 'the file could not be stored; the details are in the server log' }, { status: 500 });
  }
}
