import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { HeadObjectCommand } from '@aws-sdk/client-s3';

import { copyRanges, S3_COPY_LIMITS } from '../../server/adapters/s3-multipart-copy';
import { ObjectNotFoundError } from '../../server/ports/object-store';
import { startTestS3, type TestS3 } from '../helpers/s3';

const MiB = 1024 * 1024;

async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
// S3's own rules but for the single-copy limit, lowered from 5 GiB so a test copies in parts.
const SMALL_LIMITS = { ...S3_COPY_LIMITS, singleCopyMaxBytes: 5 * MiB, partBytes: 5 * MiB };

describe('copyRanges', () => {
  it('cuts an object into parts of the part size, the last one smaller', () => {
    assert.deepEqual(copyRanges(12 * MiB + 7, SMALL_LIMITS), [
      { first: 0, last: 5 * MiB - 1 },
      { first: 5 * MiB, last: 10 * MiB - 1 },
      { first: 10 * MiB, last: 12 * MiB + 6 },
    ]);
    assert.deepEqual(copyRanges(10 * MiB, SMALL_LIMITS), [
      { first: 0, last: 5 * MiB - 1 },
      { first: 5 * MiB, last: 10 * MiB - 1 },
    ]);
  });

  it("keeps within S3's 10,000 parts for its largest object (5 TiB), each part between 5 MiB and 5 GiB", () => {
    const size = 5 * 1024 * 1024 * MiB;
    const ranges = copyRanges(size, S3_COPY_LIMITS);
    assert.ok(ranges.length <= 10_000, `${ranges.length} parts`);
    assert.equal(ranges.at(-1)!.last, size - 1);
    for (const [index, range] of ranges.entries()) {
      const bytes = range.last - range.first + 1;
      assert.ok(bytes <= 5 * 1024 * MiB, `part ${index + 1}: ${bytes} bytes`);
      if (index < ranges.length - 1) assert.ok(bytes >= 5 * MiB, `part ${index + 1}: ${bytes} bytes`);
      if (index > 0) assert.equal(range.first, ranges[index - 1]!.last + 1);
    }
  });
});

describe('S3ObjectStore.copy (s3rver, UploadPartCopy added as S3 documents it)', () => {
  let s3: TestS3;
  before(async () => {
    s3 = await startTestS3();
  });
  after(async () => {
    await s3.close();
  });

  it('copies an object over the single-copy limit part by part, byte for byte, with its content type', async () => {
    const store = await s3.store('copy-parts', '', { copyLimits: SMALL_LIMITS });
    const body = randomBytes(12 * MiB + 7);
    await store.put('Output/runs/r1/output.csv', body, { contentType: 'text/csv' });
    s3.partCopies.parts.length = 0;
    await store.copy('Output/runs/r1/output.csv', 'Output/historical_stock_data.csv');
    assert.deepEqual(
      s3.partCopies.parts.map((part) => part.partNumber).sort((a, b) => a - b),
      [1, 2, 3],
    );
    const copied = await streamToBuffer(await store.get('Output/historical_stock_data.csv'));
    assert.ok(copied.equals(body), 'the copy holds the same bytes');
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'copy-parts', Key: 'Output/historical_stock_data.csv' }));
    assert.equal(head.ContentType, 'text/csv');
  });

  it('copies an object under the limit with one CopyObject', async () => {
    const store = await s3.store('copy-whole', '', { copyLimits: SMALL_LIMITS });
    await store.put('a.csv', Buffer.from('Date,Open\n'), { contentType: 'text/csv' });
    s3.partCopies.parts.length = 0;
    await store.copy('a.csv', 'b.csv');
    assert.equal(s3.partCopies.parts.length, 0);
    assert.equal((await streamToBuffer(await store.get('b.csv'))).toString(), 'Date,Open\n');
  });

  it('a part that fails fails the copy and leaves the target as it was', async () => {
    const store = await s3.store('copy-fault', '', { copyLimits: SMALL_LIMITS });
    await store.put('target.csv', Buffer.from('published before\n'), { contentType: 'text/csv' });
    await store.put('source.csv', randomBytes(11 * MiB), { contentType: 'text/csv' });
    s3.partCopies.failPart = 2;
    try {
      await assert.rejects(store.copy('source.csv', 'target.csv'), /internal error/i);
    } finally {
      s3.partCopies.failPart = null;
    }
    assert.equal((await streamToBuffer(await store.get('target.csv'))).toString(), 'published before\n');
  });

  it('a missing source is ObjectNotFoundError', async () => {
    const store = await s3.store('copy-missing', '', { copyLimits: SMALL_LIMITS });
    await assert.rejects(store.copy('nothing.csv', 'b.csv'), ObjectNotFoundError);
  });
});
