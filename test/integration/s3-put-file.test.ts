import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';

import { HeadObjectCommand } from '@aws-sdk/client-s3';

import { crc32Base64 } from '../../server/adapters/s3-file-upload';
import { S3ObjectStore, type S3Settings } from '../../server/adapters/s3-object-store';
import { createSpoolFile } from '../../server/pipeline/spool-file';
import { writeChunk } from '../../server/pipeline/streams';
import type { LocalFile } from '../../server/ports/object-store';
import { type FaultyS3Proxy, startFaultyS3Proxy } from '../helpers/faulty-s3-proxy';
import { startTestS3, type TestS3 } from '../helpers/s3';

const MiB = 1024 * 1024;
const BUCKET = 'put-file';

describe('S3ObjectStore.putFile (s3rver behind the test proxy)', () => {
  let s3: TestS3;
  let proxy: FaultyS3Proxy;
  let folder: string;

  before(async () => {
    s3 = await startTestS3();
    proxy = await startFaultyS3Proxy(s3.endpoint);
    await s3.store(BUCKET);
    folder = await mkdtemp(join(tmpdir(), 'put-file-test-'));
  });
  after(async () => {
    await proxy?.close();
    await s3?.close();
    await rm(folder, { recursive: true, force: true });
  });
  beforeEach(() => proxy.clear());

  function storeViaProxy(settings: Partial<S3Settings> = {}): S3ObjectStore {
    return new S3ObjectStore({ bucket: BUCKET, prefix: '', endpoint: proxy.endpoint, region: 'us-east-1', forcePathStyle: true, ...settings });
  }

  async function fileOf(content: Buffer): Promise<LocalFile> {
    const spool = await createSpoolFile(`file-${Math.random().toString(36).slice(2)}.csv`, folder);
    await writeChunk(spool.stream, content);
    spool.stream.end();
    return spool.finished;
  }

  async function contentOf(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await (await s3.store(BUCKET)).get(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  it('sends a file in one PutObject carrying its length and CRC32, byte for byte, with its content type', async () => {
    const content = randomBytes(7 * MiB + 3);
    const file = await fileOf(content);
    await storeViaProxy().putFile('Output/whole.csv', file, { contentType: 'text/csv' });

    const puts = proxy.requests({ method: 'PUT', key: 'Output/whole.csv' });
    assert.equal(puts.length, 1);
    assert.doesNotMatch(puts[0]!.path, /uploadId|partNumber/);
    assert.equal(proxy.count({ method: 'POST', path: /uploads/ }), 0, 'no multipart upload');
    assert.equal(puts[0]!.headers['x-amz-checksum-crc32'], crc32Base64(crc32(content)));
    assert.equal(puts[0]!.headers['content-length'], String(content.length));
    assert.ok((await contentOf('Output/whole.csv')).equals(content));
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'Output/whole.csv' }));
    assert.equal(head.ContentType, 'text/csv');
  });

  it('sends a file over the whole-file limit in parts, byte for byte', async () => {
    const content = randomBytes(12 * MiB + 1);
    await storeViaProxy({ wholeFileMaxBytes: 5 * MiB }).putFile('Output/parts.csv', await fileOf(content));
    assert.equal(proxy.count({ method: 'POST', path: /\?uploads/ }), 1);
    assert.equal(proxy.count({ method: 'PUT', path: /partNumber=/ }), 3);
    assert.ok((await contentOf('Output/parts.csv')).equals(content));
  });

  it('sends the file again from its start after server errors, and gives up after three attempts', async () => {
    const content = randomBytes(2 * MiB);
    proxy.fail({ method: 'PUT', key: 'Output/retried.csv' }, 500, { times: 2 });
    await storeViaProxy().putFile('Output/retried.csv', await fileOf(content));
    assert.equal(proxy.count({ method: 'PUT', key: 'Output/retried.csv' }), 3);
    assert.ok((await contentOf('Output/retried.csv')).equals(content));

    proxy.fail({ method: 'PUT', key: 'Output/never.csv' }, 503);
    await assert.rejects(storeViaProxy().putFile('Output/never.csv', await fileOf(content)), (error: Error) => error.name === 'InternalError');
    assert.equal(proxy.count({ method: 'PUT', key: 'Output/never.csv' }), 3);
    assert.equal(await (await s3.store(BUCKET)).head('Output/never.csv'), null);
  });

  it('does not try again a PUT the store refused, nor a file that is not there', async () => {
    proxy.fail({ method: 'PUT', key: 'Output/refused.csv' }, 403, { times: 1 });
    await assert.rejects(storeViaProxy().putFile('Output/refused.csv', await fileOf(Buffer.from('rows\n'))));
    assert.equal(proxy.count({ method: 'PUT', key: 'Output/refused.csv' }), 1);

    await assert.rejects(storeViaProxy().putFile('Output/missing.csv', { path: join(folder, 'no-such-file.csv'), size: 5, crc32: 0 }), { code: 'ENOENT' });
    assert.equal(proxy.count({ method: 'PUT', key: 'Output/missing.csv' }), 0);
  });
});
