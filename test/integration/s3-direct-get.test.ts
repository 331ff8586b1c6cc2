import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { directGetter } from '../../server/adapters/s3-direct-get';
import { S3ObjectStore } from '../../server/adapters/s3-object-store';
import { streamToString } from '../../server/pipeline/streams';
import { ObjectNotFoundError } from '../../server/ports/object-store';
import { type FaultyS3Proxy, startFaultyS3Proxy } from '../helpers/faulty-s3-proxy';
import { startTestS3, type TestS3 } from '../helpers/s3';
import { sigV4Mismatch } from '../helpers/sigv4';

const BUCKET = 'direct-get';
const ACCESS_KEY = 'S3RVER';
const SECRET = 'S3RVER';

function amzDateOf(headers: Record<string, string | string[] | undefined>): number {
  const value = String(headers['x-amz-date']);
  return Date.parse(`${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 11)}:${value.slice(11, 13)}:${value.slice(13)}`);
}

describe('the SigV4 check the tests use', () => {
  it("accepts AWS's documented GET Object example and refuses it with one byte changed", () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object".
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-amz-date': '20130524T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      },
    };
    assert.equal(sigV4Mismatch(request, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), null);
    assert.match(sigV4Mismatch({ ...request, headers: { ...request.headers, range: 'bytes=0-8' } }, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') ?? '', /does not match/);
    assert.match(sigV4Mismatch({ ...request, rawPath: '/test.txt2' }, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') ?? '', /does not match/);
  });
});

describe('S3ObjectStore.get signs its own GETs (s3rver behind the test proxy)', () => {
  let s3: TestS3;
  let proxy: FaultyS3Proxy;

  before(async () => {
    s3 = await startTestS3();
    proxy = await startFaultyS3Proxy(s3.endpoint);
    const direct = await s3.store(BUCKET);
    await direct.put('data/Stocks/plain.us.csv', 'Date,Open\n2000-01-03,1\n');
    await direct.put("data/Stocks/a b+c!'()*~é,=.us.csv", 'odd key\n');
    await direct.put('data/Stocks/big.us.csv', 'x'.repeat(3 * 1024 * 1024));
  });
  after(async () => {
    await proxy?.close();
    await s3?.close();
  });
  beforeEach(() => proxy.clear());

  function client(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }): S3Client {
    return new S3Client({ endpoint: proxy.endpoint, region: 'eu-west-1', forcePathStyle: true, credentials });
  }
  function store(options: { client?: S3Client; requestTimeoutMs?: number } = {}): S3ObjectStore {
    return new S3ObjectStore(
      { bucket: BUCKET, prefix: 'data/', endpoint: proxy.endpoint, region: 'eu-west-1', forcePathStyle: true, requestTimeoutMs: options.requestTimeoutMs },
      options.client ?? client(),
    );
  }
  function onlyGet(key: string): { headers: Record<string, string | string[] | undefined>; mismatch: string | null } {
    const [request, ...more] = proxy.requests({ key });
    assert.ok(request, `a GET of ${key}`);
    assert.equal(more.length, 0, `one GET of ${key}`);
    return { headers: request.headers, mismatch: sigV4Mismatch(request, SECRET) };
  }

  it('reads objects byte for byte, odd keys too, in GETs whose SigV4 signature holds, without the SDK', async () => {
    const reader = store();
    assert.equal(await streamToString(await reader.get('Stocks/plain.us.csv')), 'Date,Open\n2000-01-03,1\n');
    assert.equal(await streamToString(await reader.get("Stocks/a b+c!'()*~é,=.us.csv")), 'odd key\n');
    assert.equal((await streamToString(await reader.get('Stocks/big.us.csv'))).length, 3 * 1024 * 1024);
    for (const key of ['data/Stocks/plain.us.csv', "data/Stocks/a b+c!'()*~é,=.us.csv", 'data/Stocks/big.us.csv']) {
      const { headers, mismatch } = onlyGet(key);
      assert.equal(mismatch, null, key);
      assert.match(String(headers.authorization), /\/eu-west-1\/s3\/aws4_request/);
      assert.equal(headers['amz-sdk-invocation-id'], undefined, 'not sent through the SDK middleware stack');
    }
  });

  it("agrees with the SDK's own signer: the check passes the SDK's HEAD and fails a wrong secret", async () => {
    await client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'data/Stocks/plain.us.csv' }));
    const [head] = proxy.requests({ method: 'HEAD', key: 'data/Stocks/plain.us.csv' });
    assert.equal(sigV4Mismatch(head!, SECRET), null);
    await store({ client: client({ accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret' }) }).get('Stocks/plain.us.csv');
    assert.match(onlyGet('data/Stocks/plain.us.csv').mismatch ?? '', /does not match/);
  });

  it('signs temporary credentials (the session token, as on an instance role)', async () => {
    const withToken = client({ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET, sessionToken: 'session-token-1' });
    await streamToString(await store({ client: withToken }).get('Stocks/plain.us.csv'));
    const { headers, mismatch } = onlyGet('data/Stocks/plain.us.csv');
    assert.equal(mismatch, null);
    assert.equal(headers['x-amz-security-token'], 'session-token-1');
  });

  it("signs by the server's clock after S3 says the request time is too skewed, as the SDK does", async () => {
    const skewed = client();
    skewed.config.systemClockOffset = 3_600_000;
    assert.equal(await streamToString(await store({ client: skewed }).get('Stocks/plain.us.csv')), 'Date,Open\n2000-01-03,1\n');
    const [first, second, ...more] = proxy.requests({ key: 'data/Stocks/plain.us.csv' });
    assert.equal(more.length, 0);
    assert.ok(Math.abs(amzDateOf(first!.headers) - (Date.now() + 3_600_000)) < 60_000, 'signed an hour ahead first');
    assert.ok(Math.abs(amzDateOf(second!.headers) - Date.now()) < 60_000, 'then by the server');
    assert.ok(Math.abs(skewed.config.systemClockOffset) < 60_000);
  });

  it('a missing object is ObjectNotFoundError at once; a refusal is not tried again and says why', async () => {
    await assert.rejects(store().get('Stocks/none.us.csv'), ObjectNotFoundError);
    assert.equal(proxy.count({ key: 'data/Stocks/none.us.csv' }), 1);

    proxy.fail({ key: 'data/Stocks/plain.us.csv' }, 403, { code: 'AccessDenied' });
    await assert.rejects(store().get('Stocks/plain.us.csv'), /data\/Stocks\/plain\.us\.csv: 403 AccessDenied: injected by the test proxy/);
    assert.equal(proxy.count({ key: 'data/Stocks/plain.us.csv' }), 1);
  });

  it('tries a GET again after SlowDown and 500s, three times in all', async () => {
    proxy.fail({ key: 'data/Stocks/plain.us.csv' }, 503, { code: 'SlowDown', times: 2 });
    assert.equal(await streamToString(await store().get('Stocks/plain.us.csv')), 'Date,Open\n2000-01-03,1\n');
    assert.equal(proxy.count({ key: 'data/Stocks/plain.us.csv' }), 3);

    proxy.clear();
    proxy.fail({ key: 'data/Stocks/plain.us.csv' }, 500);
    await assert.rejects(store().get('Stocks/plain.us.csv'), /500 InternalError/);
    assert.equal(proxy.count({ key: 'data/Stocks/plain.us.csv' }), 3);
  });

  it('fails a body that stops part-way after the idle timeout, saying it timed out', { timeout: 10_000 }, async () => {
    proxy.stall({ key: 'data/Stocks/big.us.csv' }, { afterBytes: 1000 });
    const started = Date.now();
    await assert.rejects(streamToString(await store({ requestTimeoutMs: 300 }).get('Stocks/big.us.csv')), /data\/Stocks\/big\.us\.csv timed out: no data for 300 ms/);
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
  });

  it('leaves buckets the endpoint rules sign otherwise (S3 Express) to the SDK', async () => {
    const aws = new S3Client({ region: 'us-west-2', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET } });
    const timeouts = { connectMs: 1000, idleMs: 1000 };
    assert.equal(await directGetter(aws, 'stocks--usw2-az1--x-s3', timeouts), null);
    assert.notEqual(await directGetter(aws, 'stocks-bucket', timeouts), null);
  });
});
