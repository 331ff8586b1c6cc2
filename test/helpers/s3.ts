import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

import { S3ObjectStore } from '../../server/adapters/s3-object-store';

/** A real S3-compatible HTTP server (s3rver) on a free loopback port, with its own folder. */
export interface TestS3 {
  endpoint: string;
  client: S3Client;
  store(bucket: string, prefix?: string): Promise<S3ObjectStore>;
  close(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'stockflow-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
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
    async store(bucket, prefix = '') {
      if (!created.has(bucket)) {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        created.add(bucket);
      }
      return new S3ObjectStore({ bucket, prefix, endpoint, region: 'us-east-1', forcePathStyle: true }, client);
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
