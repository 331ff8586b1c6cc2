import type { Readable } from 'node:stream';

/** The parts of s3rver's Koa context and file store used here (s3rver ships no types). */
interface S3rverContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  get(header: string): string;
  status: number;
  type: string;
  body: unknown;
  store: {
    getObject(bucket: string, key: string, range?: { start: number; end: number }): Promise<{ content: Readable | null; metadata: Record<string, string | number> } | null>;
    putPart(bucket: string, uploadId: string, partNumber: string, content: Readable): Promise<{ size: number; md5: string }>;
  };
}

export interface PartCopyLog {
  /** Every UploadPartCopy answered, in order: part number and the source range asked. */
  parts: Array<{ partNumber: number; range: string }>;
  /** Makes the part copy with this number fail with a 500 InternalError (fault tests). */
  failPart: number | null;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * UploadPartCopy, which s3rver lacks, as S3 documents it (API Reference, UploadPartCopy): a PUT
 * on the target key with `partNumber` and `uploadId`, `x-amz-copy-source: bucket/key` (URL-encoded),
 * optional `x-amz-copy-source-range: bytes=first-last` and `x-amz-copy-source-if-match`; the answer
 * is a `CopyPartResult` with the part's ETag. The part is stored through s3rver's own multipart
 * store, so its CompleteMultipartUpload joins it like an uploaded part. S3 refuses a part under
 * 5 MiB that is not the last (at completion, EntityTooSmall); checked here at the part, where the
 * source's size is known. Put first in s3rver's middleware chain.
 */
export function uploadPartCopy(log: PartCopyLog) {
  return async (context: unknown, next: () => Promise<void>): Promise<void> => {
    const ctx = context as S3rverContext;
    const copySource = ctx.get('x-amz-copy-source');
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'PUT' || !copySource || typeof uploadId !== 'string') return next();
    const partNumber = Number(ctx.query.partNumber);
    const [bucket] = ctx.path.slice(1).split('/');
    const source = decodeURIComponent(copySource).replace(/^\//, '');
    const slash = source.indexOf('/');
    const [sourceBucket, sourceKey] = [source.slice(0, slash), source.slice(slash + 1)];
    const fail = (status: number, code: string, message: string): void => {
      ctx.status = status;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    };
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) return fail(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000');
    if (log.failPart === partNumber) return fail(500, 'InternalError', 'We encountered an internal error. Please try again.');
    const whole = await ctx.store.getObject(sourceBucket!, sourceKey);
    if (!whole) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
    whole.content?.destroy();
    const size = Number(whole.metadata['content-length']);
    const etag = String(whole.metadata.etag);
    const ifMatch = ctx.get('x-amz-copy-source-if-match');
    if (ifMatch && ifMatch.replace(/"/g, '') !== etag.replace(/"/g, '')) return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    const rangeHeader = ctx.get('x-amz-copy-source-range');
    const range = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
    if (rangeHeader && !range) return fail(400, 'InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last');
    const [start, end] = range ? [Number(range[1]), Number(range[2])] : [0, size - 1];
    if (start > end || end >= size) return fail(400, 'InvalidRange', 'The requested range is not satisfiable');
    if (end - start + 1 < MIN_PART_BYTES && end !== size - 1) return fail(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
    const part = await ctx.store.getObject(sourceBucket!, sourceKey, { start, end });
    const { md5 } = await ctx.store.putPart(bucket!, uploadId, String(partNumber), part!.content!);
    log.parts.push({ partNumber, range: rangeHeader });
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>"${md5}"</ETag></CopyPartResult>`;
  };
}
