import type { BucketLocation, Config } from '../config';
import type { UploadTarget } from '../ports/upload-target';
import { FolderUploadTarget } from './folder-upload-target';

/** Uploads go where the source bucket is: presigned PUTs for s3://, our own route for a folder. */
export async function openUploadTarget(location: BucketLocation, s3: Config['s3']): Promise<UploadTarget> {
  if (location.kind === 'folder') return new FolderUploadTarget();
  const { S3UploadTarget } = await import('./s3-upload-target');
  return new S3UploadTarget({ bucket: location.bucket, prefix: location.prefix, endpoint: s3.endpoint, region: s3.region, forcePathStyle: s3.forcePathStyle });
}
