import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { assertValidKey } from '../ports/object-store';
import type { PreparedUpload, UploadTarget } from '../ports/upload-target';

export interface S3UploadSettings {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

/** Long enough to start a big upload on a slow line, short enough that a leaked URL is soon useless. */
export const PRESIGNED_PUT_SECONDS = 300;

/** Presigned PUTs straight into the source bucket; the bucket needs a CORS rule for the panel's origin (docs/DEPLOY.md). */
export class S3UploadTarget implements UploadTarget {
  private readonly client: S3Client;

  constructor(
    private readonly settings: S3UploadSettings,
    client?: S3Client,
  ) {
    this.client =
      client ??
      new S3Client({
        region: settings.region,
        endpoint: settings.endpoint,
        forcePathStyle: settings.forcePathStyle,
        // Otherwise the SDK signs the CRC32 of the empty body it presigns with, and S3 refuses the real file.
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
  }

  async prepareUpload(key: string, contentType: string, size: number): Promise<PreparedUpload> {
    assertValidKey(key);
    const command = new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.settings.prefix + key, ContentType: contentType, ContentLength: size });
    // Type and length are signed: a different file (or a bigger one) under this URL is refused by S3.
    const url = await getSignedUrl(this.client, command, {
      expiresIn: PRESIGNED_PUT_SECONDS,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return {
      method: 'PUT',
      url,
      headers: { 'Content-Type': contentType },
      expiresAt: new Date(Date.now() + PRESIGNED_PUT_SECONDS * 1000).toISOString(),
    };
  }
}
