import type { BucketLocation, Config } from '../config';
import type { ObjectStore } from '../ports/object-store';
import { FolderObjectStore } from './folder-object-store';
import { S3ObjectStore } from './s3-object-store';

/** The adapter a configured location asks for: S3 for s3:// URLs, a folder otherwise. */
export function openObjectStore(location: BucketLocation, s3: Config['s3']): ObjectStore {
  if (location.kind === 'folder') return new FolderObjectStore(location.bucket);
  return new S3ObjectStore({
    bucket: location.bucket,
    prefix: location.prefix,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    requestTimeoutMs: s3.requestTimeoutMs,
  });
}
