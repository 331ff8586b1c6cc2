import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

import { S3ObjectStore, type S3Settings } from '../../server/adapters/s3-object-store';
import { type PartCopyLog, uploadPartCopy } from './s3-upload-part-copy';

/** A real S3-compatible HTTP server (s3rver) on a free loopback port, with its own folder. */
export interface TestS3 {
  endpoint: string;
  client: S3Client;
  store(bucket: string, prefix?: string, settings?: Partial<S3Settings>): Promise<S3ObjectStore>;
  /** UploadPartCopy requests answered (s3rver has none of its own; see s3-upload-part-copy.ts). */
  partCopies: PartCopyLog;
  close(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'stockflow-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const partCopies: PartCopyLog = { parts: [], failPart: null };
  server.middleware.unshift(uploadPartCopy(partCopies));
  const address = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${address.port}`;
  // s3rver accepts any credentials; the SDK still wants some.
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  const created = new Set<string>();
  return {
    endpoint,
    client,
    partCopies,
    async store(bucket, prefix = '', settings = {}) {
      if (!created.has(bucket)) {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        created.add(bucket);
      }
      return new S3ObjectStore({ bucket, prefix, endpoint, region: 'us-east-1', forcePathStyle: true, ...settings }, client);
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
