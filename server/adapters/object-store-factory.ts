import type { BucketLocation, Config } from '../config';
import type { ObjectStore } from '../ports/object-store';
import { FolderObjectStore } from './folder-object-store';

/** The adapter a configured location asks for: S3 for s3:// URLs, a folder otherwise. */
export async function openObjectStore(location: BucketLocation, s3: Config['s3']): Promise<ObjectStore> {
  if (location.kind === 'folder') return new FolderObjectStore(location.bucket);
  // Loaded only for an S3 bucket: the AWS SDK is a large part of the CLI's start-up.
  const { S3ObjectStore } = await import('./s3-object-store');
  return new S3ObjectStore({
    bucket: location.bucket,
    prefix: location.prefix,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    requestTimeoutMs: s3.requestTimeoutMs,
  });
}
