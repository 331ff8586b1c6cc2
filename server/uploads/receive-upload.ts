import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { hasRole } from '../auth/roles';
import type { SessionUser } from '../auth/sessions';
import type { ObjectStore } from '../ports/object-store';
import { UPLOAD_SIZE_LIMIT, uploadKeySchema } from './upload-key';

export interface UploadReceipt {
  status: number;
  body: { key: string; bytes: number } | { error: string };
}

class UploadTooLargeError extends Error {}

/**
 * The folder bucket's end of an upload (the browser PUTs the file here; S3 takes it directly):
 * operators only, allow-listed keys only, at most `limit` bytes. The store writes beside the target
 * and renames, so the pipeline sees the old file or the whole new one, and nothing of a refused one.
 */
export async function receiveUpload(request: Request, options: { store: ObjectStore; user: SessionUser | null; limit?: number }): Promise<UploadReceipt> {
  const limit = options.limit ?? UPLOAD_SIZE_LIMIT;
  if (!options.user) return { status: 401, body: { error: 'sign in first' } };
  if (!hasRole(options.user.role, 'operator')) return { status: 403, body: { error: 'uploading needs the operator role' } };
  // A cross-site page cannot PUT here with the operator's cookie (the browser preflights it), but say no plainly too.
  const origin = request.headers.get('origin');
  // Compared as Next.js compares a server action's origin: to the forwarded host, else the host.
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
  if (origin && !sameHost(origin, host)) return { status: 403, body: { error: 'uploads come from the panel itself' } };
  const key = uploadKeySchema.safeParse(new URL(request.url).searchParams.get('key') ?? '');
  if (!key.success) return { status: 400, body: { error: key.error.issues[0]!.message } };
  const declared = request.headers.get('content-length');
  if (declared !== null && !/^\d+$/.test(declared)) return { status: 400, body: { error: 'content-length: not a number of bytes' } };
  if (declared !== null && Number(declared) > limit) return { status: 413, body: { error: tooLarge(limit) } };
  if (!request.body) return { status: 400, body: { error: 'body: the file is missing' } };

  if (declared === '0') return { status: 400, body: { error: 'body: the file is empty' } };

  let bytes = 0;
  // Counted as it streams: a missing or false Content-Length cannot get more than the limit onto the disk.
  async function* limited(source: Readable): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      bytes += (chunk as Buffer).length;
      if (bytes > limit) throw new UploadTooLargeError();
      yield chunk as Buffer;
    }
  }
  try {
    await options.store.put(key.data, Readable.from(limited(Readable.fromWeb(request.body as WebReadableStream<Uint8Array>))));
  } catch (error) {
    if (error instanceof UploadTooLargeError) return { status: 413, body: { error: tooLarge(limit) } };
    throw error;
  }
  return { status: 200, body: { key: key.data, bytes } };
}

function sameHost(origin: string, host: string | null): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function tooLarge(limit: number): string {
  return `the file is larger than ${Math.round(limit / 1024 / 1024)} MB`;
}
