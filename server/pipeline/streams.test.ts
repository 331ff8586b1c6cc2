import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { uploadStream, writeChunk } from './streams';

describe('uploadStream', () => {
  it('lets the writer fail before the upload attached its reader, without an unhandled error', async () => {
    // The put starts reading late, as an S3 put that loads its SDK first.
    const { stream, done } = uploadStream(async (body) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      for await (const _chunk of body);
    });
    stream.destroy(new Error('Stocks/good.us.csv could not be read'));
    await assert.rejects(done, /could not be read/);
  });

  it('destroys the stream when the upload fails, so the writer stops', async () => {
    const { stream, done } = uploadStream(async () => {
      throw new Error('AccessDenied');
    });
    await assert.rejects(done, /AccessDenied/);
    await assert.rejects(writeChunk(stream, 'row\n'), /AccessDenied/);
  });
});
