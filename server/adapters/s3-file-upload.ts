import { constants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';

import type { LocalFile } from '../ports/object-store';
import { S3_ATTEMPTS, s3SaysTryAgain } from './s3-retry';

/** Doubling after each failed attempt. */
const FIRST_BACKOFF_MS = 500;

/**
 * One PutObject of a local file: one request instead of a multipart upload's many (and, on stores
 * that join parts by copying them, one write of the bytes instead of two). S3 checks the whole
 * file's CRC32 (x-amz-checksum-crc32) and refuses the object on a mismatch (BadDigest). The SDK
 * does not retry a streamed body (it cannot rewind it), so failed attempts are retried here, each
 * reading the file again from the start.
 */
export async function putWholeFile(client: S3Client, params: { bucket: string; key: string; file: LocalFile; contentType: string }): Promise<void> {
  const { bucket, key, file, contentType } = params;
  // Checked before any request: a missing file is not a reason to try again.
  await access(file.path, constants.R_OK);
  for (let attempt = 1; ; attempt += 1) {
    const body = createReadStream(file.path, { highWaterMark: 1 << 20 });
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: file.size, ContentType: contentType, ChecksumCRC32: crc32Base64(file.crc32) }));
      return;
    } catch (error) {
      body.destroy();
      if (attempt >= S3_ATTEMPTS || !isWorthRetrying(error)) throw error;
      await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    }
  }
}

/** The checksum header's form: the CRC32's four bytes, big-endian, in base64. */
export function crc32Base64(crc32: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32 >>> 0);
  return bytes.toString('base64');
}

/** Server errors, throttling, timeouts, a body that arrived damaged, and failures with no answer at all. */
function isWorthRetrying(error: unknown): boolean {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
  if (!(error instanceof S3ServiceException)) return true;
  return s3SaysTryAgain(error.$metadata.httpStatusCode ?? 0, error.name) || error.name === 'BadDigest';
}
