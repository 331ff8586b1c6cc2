import type { BucketLocation, Config } from '../config';
import type { UploadTarget } from '../ports/upload-target';
import { FolderUploadTarget } from './folder-upload-target';
import { S3UploadTarget } from './s3-upload-target';

/** Uploads go where the source bucket is: presigned PUTs for s3://, our own route for a folder. */
export function openUploadTarget(location: BucketLocation, s3: Config['s3']): UploadTarget {
  if (location.kind === 'folder') return new FolderUploadTarget();
  return new S3UploadTarget({ bucket: location.bucket, prefix: location.prefix, endpoint: s3.endpoint, region: s3.region, forcePathStyle: s3.forcePathStyle });
}
