import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, type S3Client, UploadPartCopyCommand } from '@aws-sdk/client-s3';

/**
 * S3's limits on copies (Amazon S3 User Guide, "Multipart upload limits" and "Copying objects"):
 * CopyObject copies at most 5 GiB in one request; bigger objects are copied part by part with
 * UploadPartCopy, parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 of them.
 */
export interface CopyLimits {
  /** Largest object copied by one CopyObject. */
  singleCopyMaxBytes: number;
  /** Part size aimed at; raised when the object would need more than maxParts. */
  partBytes: number;
  minPartBytes: number;
  maxParts: number;
  /** Part copies in flight at once (each is a server-side copy: no bytes pass through here). */
  concurrency: number;
}

const MiB = 1024 * 1024;

export const S3_COPY_LIMITS: CopyLimits = { singleCopyMaxBytes: 5 * 1024 * MiB, partBytes: 512 * MiB, minPartBytes: 5 * MiB, maxParts: 10_000, concurrency: 4 };

/** The byte ranges (inclusive, as `x-amz-copy-source-range` wants them) of a copy of `size` bytes. */
export function copyRanges(size: number, limits: CopyLimits): Array<{ first: number; last: number }> {
  const partBytes = Math.max(limits.minPartBytes, limits.partBytes, Math.ceil(size / limits.maxParts / MiB) * MiB);
  const ranges: Array<{ first: number; last: number }> = [];
  for (let first = 0; first < size; first += partBytes) ranges.push({ first, last: Math.min(size, first + partBytes) - 1 });
  return ranges;
}

export interface PartCopy {
  bucket: string;
  /** `bucket/key`, URL-encoded, as CopyObject's CopySource. */
  copySource: string;
  key: string;
  size: number;
  /** The source's ETag (quoted or not): a source replaced during the copy fails it instead of mixing versions. */
  etag: string;
  contentType?: string;
}

/**
 * Copies an object bigger than one CopyObject allows: a multipart upload of server-side part
 * copies, completed only when every part is there (readers see the old object until then), and
 * aborted on any failure, so no invisible parts are left to be stored and billed.
 */
export async function copyInParts(client: S3Client, copy: PartCopy, limits: CopyLimits): Promise<void> {
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: copy.bucket, Key: copy.key, ContentType: copy.contentType }));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`S3 started no multipart upload for ${copy.key}`);
  try {
    const ranges = copyRanges(copy.size, limits);
    const etags: string[] = new Array<string>(ranges.length);
    let next = 0;
    let failure: unknown = null;
    const worker = async (): Promise<void> => {
      // The first failure stops the others from starting another part; all settle before the abort.
      while (failure === null && next < ranges.length) {
        const index = next++;
        const { first, last } = ranges[index]!;
        const part = await client.send(
          new UploadPartCopyCommand({
            Bucket: copy.bucket,
            Key: copy.key,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: copy.copySource,
            CopySourceRange: `bytes=${first}-${last}`,
            CopySourceIfMatch: copy.etag,
          }),
        );
        const etag = part.CopyPartResult?.ETag;
        if (!etag) throw new Error(`S3 returned no ETag for part ${index + 1} of the copy to ${copy.key}`);
        etags[index] = etag;
      }
    };
    const workers = Array.from({ length: Math.min(limits.concurrency, ranges.length) }, () => worker().catch((error: unknown) => void (failure ??= error)));
    await Promise.all(workers);
    if (failure !== null) throw failure;
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: copy.bucket,
        Key: copy.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((etag, index) => ({ ETag: etag, PartNumber: index + 1 })) },
      }),
    );
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: copy.bucket, Key: copy.key, UploadId: uploadId })).catch(() => {});
    throw error;
  }
}
