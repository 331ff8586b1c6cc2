import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

import type { ObjectBody } from '../ports/object-store';

/**
 * One object written through lib-storage, which switches to multipart above one part and streams
 * without buffering the whole body. A module of its own so the object store can load it on the
 * first write (steps that only read start without lib-storage); the SDK is imported statically
 * here because a bundled dynamic import of a CommonJS package keeps only its default export.
 */
export async function uploadObject(client: S3Client, params: { bucket: string; key: string; body: ObjectBody; contentType: string }): Promise<void> {
  const upload = new Upload({
    client,
    params: { Bucket: params.bucket, Key: params.key, Body: params.body, ContentType: params.contentType },
    // Two parts in flight while the next one fills: each part is a Buffer held until S3 took it,
    // so the part size is what a write costs in memory, ~3 parts (S3's smallest part: 5 MiB).
    queueSize: 2,
    partSize: 5 * 1024 * 1024,
  });
  await upload.done();
}
