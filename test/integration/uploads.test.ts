import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { FolderUploadTarget } from '../../server/adapters/folder-upload-target';
import { S3UploadTarget } from '../../server/adapters/s3-upload-target';
import type { SessionUser } from '../../server/auth/sessions';
import { streamToString } from '../../server/pipeline/streams';
import { receiveUpload } from '../../server/uploads/receive-upload';
import { contentTypeOf, uploadRequestSchema } from '../../server/uploads/upload-key';
import { startTestS3, type TestS3 } from '../helpers/s3';

const operator: SessionUser = { id: '1', username: 'olga', role: 'operator' };
const viewer: SessionUser = { id: '2', username: 'vic', role: 'viewer' };
const STOCK = 'Date,Open,High,Low,Close,Volume,OpenInt\n2020-01-02,1,2,0.5,1.5,100,0\n';

function put(key: string, body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(`http://panel.test/api/uploads?${new URLSearchParams({ key })}`, {
    method: 'PUT',
    body,
    headers: { host: 'panel.test', ...headers },
    duplex: 'half',
  } as RequestInit);
}

/** A body that sends its first part, then waits for `release` before the rest. */
function pausedBody(first: string, rest: string): { body: ReadableStream<Uint8Array>; release: () => void; firstSent: Promise<void> } {
  let release!: () => void;
  let sent!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const firstSent = new Promise<void>((resolve) => (sent = resolve));
  let step = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      step += 1;
      if (step === 1) {
        controller.enqueue(new TextEncoder().encode(first));
        sent();
      } else {
        await released;
        controller.enqueue(new TextEncoder().encode(rest));
        controller.close();
      }
    },
  });
  return { body, release, firstSent };
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

describe('upload route (folder source bucket)', () => {
  let root: string;
  let bucket: string;
  let store: FolderObjectStore;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'stockflow-upload-'));
    bucket = join(root, 'bucket');
    await mkdir(bucket);
    store = new FolderObjectStore(bucket);
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it('needs a signed-in operator', async () => {
    assert.equal((await receiveUpload(put('Stocks/aapl.us.csv', STOCK), { store, user: null })).status, 401);
    const asViewer = await receiveUpload(put('Stocks/aapl.us.csv', STOCK), { store, user: viewer });
    assert.equal(asViewer.status, 403);
    assert.deepEqual(await filesUnder(bucket), []);
  });

  it('refuses keys off the allow-list, traversal included, writing nothing anywhere', async () => {
    for (const key of [
      'Output/historical_stock_data.csv',
      'Stocks/../x.csv',
      '../x.csv',
      'Stocks/a/b.csv',
      'Stocks/.hidden.csv',
      'Stocks/x.txt',
      'CompanyNames/other.txt',
      '/etc/passwd',
      'Stocks/x.csv\0',
      '',
    ]) {
      const receipt = await receiveUpload(put(key, STOCK), { store, user: operator });
      assert.equal(receipt.status, 400, `key ${JSON.stringify(key)}`);
      assert.match((receipt.body as { error: string }).error, /^key: /);
    }
    assert.deepEqual(await filesUnder(root), []);
  });

  it('refuses a PUT from another origin', async () => {
    for (const origin of ['https://evil.test', 'null']) {
      const receipt = await receiveUpload(put('Stocks/aapl.us.csv', STOCK, { origin }), { store, user: operator });
      assert.equal(receipt.status, 403, origin);
    }
    // Behind a proxy the panel's own origin is the forwarded host.
    const proxied = await receiveUpload(put('Stocks/proxied.csv', STOCK, { origin: 'https://panel.example', 'x-forwarded-host': 'panel.example' }), { store, user: operator });
    assert.equal(proxied.status, 200);
    await store.delete('Stocks/proxied.csv');
  });

  it('stores a stock file and the company list under their keys', async () => {
    const stock = await receiveUpload(put('Stocks/aapl.us.csv', STOCK, { origin: 'http://panel.test' }), { store, user: operator });
    assert.deepEqual(stock, { status: 200, body: { key: 'Stocks/aapl.us.csv', bytes: Buffer.byteLength(STOCK) } });
    const list = await receiveUpload(put('CompanyNames/top_companies.txt', "'aapl.us.csv'\n"), { store, user: operator });
    assert.equal(list.status, 200);
    assert.equal(await readFile(join(bucket, 'Stocks', 'aapl.us.csv'), 'utf8'), STOCK);
    assert.equal(await readFile(join(bucket, 'CompanyNames', 'top_companies.txt'), 'utf8'), "'aapl.us.csv'\n");
  });

  it('refuses more bytes than the limit, declared or not, and leaves the old file as it was', async () => {
    await writeFile(join(bucket, 'Stocks', 'big.csv'), 'old');
    const declared = await receiveUpload(put('Stocks/big.csv', 'x'.repeat(2000), { 'content-length': '2000' }), { store, user: operator, limit: 1000 });
    assert.equal(declared.status, 413);
    // No Content-Length: a stream that goes past the limit is cut off while it arrives.
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 4; index += 1) controller.enqueue(new Uint8Array(400).fill(120));
        controller.close();
      },
    });
    const undeclared = await receiveUpload(put('Stocks/big.csv', streamed), { store, user: operator, limit: 1000 });
    assert.equal(undeclared.status, 413);
    assert.match((undeclared.body as { error: string }).error, /larger than/);
    assert.equal(await readFile(join(bucket, 'Stocks', 'big.csv'), 'utf8'), 'old');
    assert.deepEqual(
      (await filesUnder(join(bucket, 'Stocks'))).filter((name) => name.includes('partial')),
      [],
    );
  });

  it('lands atomically: readers see the old file until the whole new one is there', async () => {
    await writeFile(join(bucket, 'Stocks', 'msft.us.csv'), 'old content');
    const { body, release, firstSent } = pausedBody(STOCK, '2020-01-03,1,2,0.5,1.5,100,0\n');
    const receiving = receiveUpload(put('Stocks/msft.us.csv', body), { store, user: operator });
    await firstSent;
    assert.equal(await streamToString(await store.get('Stocks/msft.us.csv')), 'old content');
    const keys: string[] = [];
    for await (const object of store.list('Stocks/')) keys.push(object.key);
    assert.ok(!keys.some((key) => key.includes('partial')), `listing shows ${keys.join(', ')}`);
    release();
    assert.equal((await receiving).status, 200);
    assert.equal(await streamToString(await store.get('Stocks/msft.us.csv')), `${STOCK}2020-01-03,1,2,0.5,1.5,100,0\n`);
  });

  it('names its own route for a folder bucket', async () => {
    const prepared = await new FolderUploadTarget().prepareUpload('Stocks/a&b.csv', 'text/csv', 10);
    assert.deepEqual(prepared, { method: 'PUT', url: '/api/uploads?key=Stocks%2Fa%26b.csv', headers: { 'Content-Type': 'text/csv' }, expiresAt: null });
  });
});

describe('upload request validation', () => {
  it('names the field that is wrong', () => {
    const issues = (input: unknown): string[] => {
      const parsed = uploadRequestSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
    };
    assert.deepEqual(issues({ key: 'Stocks/aapl.us.csv', contentType: 'text/csv', size: 10 }), []);
    assert.match(issues({ key: 'Stocks/../aapl.csv', contentType: 'text/csv', size: 10 })[0]!, /^key: /);
    assert.match(issues({ key: 'Stocks/aapl.csv', contentType: 'text/csv', size: 0 })[0]!, /^size: /);
    assert.match(issues({ key: 'Stocks/aapl.csv', contentType: 'text/csv', size: 2 ** 40 })[0]!, /^size: /);
    assert.match(issues({ key: 'Stocks/aapl.csv', contentType: 'text/plain', size: 5 })[0]!, /^contentType: /);
    assert.equal(contentTypeOf('CompanyNames/top_companies.txt'), 'text/plain');
  });
});

describe('presigned PUT to S3 (s3rver)', () => {
  let s3: TestS3;
  before(async () => {
    s3 = await startTestS3();
  });
  after(async () => s3.close());

  it('takes the file the URL was signed for (type and size signed) under the bucket prefix', async () => {
    const store = await s3.store('source-bucket', 'panel/');
    const target = new S3UploadTarget({ bucket: 'source-bucket', prefix: 'panel/', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
    const size = Buffer.byteLength(STOCK);
    const prepared = await target.prepareUpload('Stocks/aapl.us.csv', 'text/csv', size);
    assert.equal(prepared.method, 'PUT');
    assert.ok(prepared.url.startsWith(`${s3.endpoint}/source-bucket/panel/Stocks/aapl.us.csv?`), prepared.url);
    assert.match(prepared.url, /X-Amz-Expires=300/);
    assert.doesNotMatch(prepared.url, /x-amz-checksum/i);
    assert.ok(Date.parse(prepared.expiresAt!) > Date.now());

    // S3 refuses another size or type under this URL because both are signed (s3rver does not check
    // SigV4 signatures, so that refusal is AWS's to show; here: that they are in the signature).
    assert.equal(new URL(prepared.url).searchParams.get('X-Amz-SignedHeaders'), 'content-length;content-type;host');
    assert.equal(await store.head('Stocks/aapl.us.csv'), null);

    const response = await fetch(prepared.url, { method: 'PUT', headers: prepared.headers, body: STOCK });
    assert.equal(response.status, 200, await response.text());
    assert.equal(await streamToString(await store.get('Stocks/aapl.us.csv')), STOCK);
  });
});
