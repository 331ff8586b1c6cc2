import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

import { assertValidKey, type LocalFile, type ObjectBody, type ObjectInfo, ObjectNotFoundError, type ObjectStore, type ObjectVersion } from '../ports/object-store';
import { type DirectGetter, directGetter, S3GetError } from './s3-direct-get';
import { copyInParts, type CopyLimits, S3_COPY_LIMITS } from './s3-multipart-copy';

export interface S3Settings {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Longest silence on a connection (connecting, awaiting an answer, mid-body) before the call fails. */
  requestTimeoutMs?: number;
  /** S3's copy limits (tests lower them to copy in parts without writing gigabytes). */
  copyLimits?: CopyLimits;
  /** Largest file putFile sends in one PutObject (tests lower it). */
  wholeFileMaxBytes?: number;
}

export const DEFAULT_S3_REQUEST_TIMEOUT_MS = 30_000;

/**
 * S3 takes up to 5 GiB in one PutObject, but one stream is slower than parts sent side by side:
 * past 1 GiB (~16 M output rows, whose index builds take far longer than the upload) a file goes
 * up in parts.
 */
export const WHOLE_FILE_MAX_BYTES = 1024 ** 3;

/** S3 and S3-compatible stores (MinIO, s3rver, ...); keys are relative to an optional prefix. */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  readonly remote = true;
  private readonly client: S3Client;
  private readonly timeoutMs: number;
  /** Resolved at the first get: null where the bucket needs more than plain SigV4 (then the SDK's GetObject). */
  private directGets?: Promise<DirectGetter | null>;

  constructor(
    private readonly settings: S3Settings,
    client?: S3Client,
  ) {
    this.location = `s3://${settings.bucket}/${settings.prefix}`;
    const timeout = settings.requestTimeoutMs ?? DEFAULT_S3_REQUEST_TIMEOUT_MS;
    this.timeoutMs = timeout;
    this.client =
      client ??
      new S3Client({
        region: settings.region,
        endpoint: settings.endpoint,
        forcePathStyle: settings.forcePathStyle,
        // Without these a request that never answers waits forever. socketTimeout is an idle timer, so
        // it also ends a body that stops part-way, while a long download that keeps moving is fine.
        // (requestTimeout in @smithy/node-http-handler 4 is a deadline to the response headers that
        // only warns unless told to throw, and would cut slow multipart uploads: not used.)
        requestHandler: { connectionTimeout: Math.min(timeout, 5000), socketTimeout: timeout },
        // The middleware stack resolved once per command class, not at every request: a run sends
        // a GET per file, and resolving (copying and sorting ~40 middlewares) was most of the SDK's
        // CPU time in a profile of the real sample. Safe here: no command gets middleware of its own.
        cacheMiddleware: true,
      });
  }

  private fullKey(key: string): string {
    assertValidKey(key);
    return this.settings.prefix + key;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const pages = paginateListObjectsV2({ client: this.client, pageSize: 1000 }, { Bucket: this.settings.bucket, Prefix: this.settings.prefix + prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        yield {
          key: object.Key.slice(this.settings.prefix.length),
          size: object.Size ?? 0,
          etag: stripQuotes(object.ETag ?? ''),
          lastModified: object.LastModified ?? new Date(0),
        };
      }
    }
  }

  /**
   * On a versioned bucket the VersionId, which is also what an S3 event carries, so the watcher and
   * event deliveries name the same run; objects without one (VersionId "null": written before
   * versioning was enabled or while it was suspended) and unversioned buckets use LastModified +
   * ETag, which tells uploads apart when they are at least LastModified's granularity (1 s) apart.
   */
  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    if (!(await this.isVersioned())) {
      for await (const object of this.list(prefix)) yield { key: object.key, version: unversionedId(object.lastModified, object.etag), settled: true };
      return;
    }
    // ListObjectVersions has no SDK paginator: follow NextKeyMarker / NextVersionIdMarker by hand.
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.client.send(new ListObjectVersionsCommand({ Bucket: this.settings.bucket, Prefix: this.settings.prefix + prefix, MaxKeys: 1000, ...markers }));
      // Only the latest version counts; a key whose latest is a delete marker (in DeleteMarkers) has none here.
      for (const object of page.Versions ?? []) {
        if (!object.IsLatest || !object.Key || object.Key.endsWith('/')) continue;
        const version = object.VersionId && object.VersionId !== 'null' ? object.VersionId : unversionedId(object.LastModified ?? new Date(0), stripQuotes(object.ETag ?? ''));
        yield { key: object.Key.slice(this.settings.prefix.length), version, settled: true };
      }
      if (!page.IsTruncated) return;
      if (!page.NextKeyMarker) throw new Error(`ListObjectVersions on ${this.location} was truncated without a NextKeyMarker`);
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }

  /** Enabled or Suspended (versions made while enabled keep their ids); never enabled is unversioned. */
  private async isVersioned(): Promise<boolean> {
    try {
      const response = await this.client.send(new GetBucketVersioningCommand({ Bucket: this.settings.bucket }));
      return response.Status === 'Enabled' || response.Status === 'Suspended';
    } catch (error) {
      // S3-compatible stores without versioning (s3rver) say NotImplemented. Anything else (AccessDenied)
      // is an error: guessing "unversioned" would change every marker's identity once it is allowed.
      if (error instanceof S3ServiceException && error.name === 'NotImplemented') return false;
      if (error instanceof S3ServiceException && error.name === 'AccessDenied') {
        throw new Error(`Watching ${this.location} needs s3:GetBucketVersioning (and s3:ListBucketVersions on a versioned bucket)`, { cause: error });
      }
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const fullKey = this.fullKey(key);
    // Endpoint rules it cannot resolve leave the GETs to the SDK, which then says what is wrong.
    this.directGets ??= directGetter(this.client, this.settings.bucket, { connectMs: Math.min(this.timeoutMs, 5000), idleMs: this.timeoutMs }).catch(() => null);
    const direct = await this.directGets;
    try {
      if (direct) return await direct.get(fullKey);
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: fullKey }));
      if (!(response.Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${key}`);
      return response.Body;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(this.location, key);
      throw error;
    }
  }

  async put(key: string, body: ObjectBody, options?: { contentType?: string }): Promise<void> {
    const { uploadObject } = await import('./s3-streaming-upload');
    await uploadObject(this.client, { bucket: this.settings.bucket, key: this.fullKey(key), body, contentType: options?.contentType ?? 'application/octet-stream' });
  }

  async putFile(key: string, file: LocalFile, options?: { contentType?: string }): Promise<void> {
    if (file.size > (this.settings.wholeFileMaxBytes ?? WHOLE_FILE_MAX_BYTES)) {
      await this.put(key, createReadStream(file.path, { highWaterMark: 1 << 20 }), options);
      return;
    }
    const { putWholeFile } = await import('./s3-file-upload');
    await putWholeFile(this.client, { bucket: this.settings.bucket, key: this.fullKey(key), file, contentType: options?.contentType ?? 'application/octet-stream' });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.fullKey(key) }));
      return {
        key,
        size: response.ContentLength ?? 0,
        etag: stripQuotes(response.ETag ?? ''),
        lastModified: response.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.fullKey(key) }));
  }

  /**
   * Server-side and atomic for readers: one CopyObject up to S3's 5 GiB limit, past it a multipart
   * copy (a run's output of ~80 M rows or more), pinned to the source's ETag.
   */
  async copy(from: string, to: string): Promise<void> {
    const limits = this.settings.copyLimits ?? S3_COPY_LIMITS;
    const source = this.fullKey(from).split('/').map(encodeURIComponent).join('/');
    const copySource = `${this.settings.bucket}/${source}`;
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.fullKey(from) })).catch((error: unknown) => {
      throw isNotFound(error) ? new ObjectNotFoundError(this.location, from) : error;
    });
    const size = head.ContentLength ?? 0;
    if (size > limits.singleCopyMaxBytes) {
      if (!head.ETag) throw new Error(`S3 gave no ETag for ${from}: cannot copy it in parts safely`);
      await copyInParts(this.client, { bucket: this.settings.bucket, copySource, key: this.fullKey(to), size, etag: head.ETag, contentType: head.ContentType }, limits);
      return;
    }
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.settings.bucket, Key: this.fullKey(to), CopySource: copySource }));
    } catch (error) {
      // Gone between the HEAD and the copy.
      if (isNotFound(error)) throw new ObjectNotFoundError(this.location, from);
      throw error;
    }
  }

  /** Aborts multipart uploads a killed writer left (invisible, but stored and billed until aborted). */
  async removeInterruptedWrites(prefix: string, before: Date): Promise<number> {
    let removed = 0;
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      let page;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.settings.bucket, Prefix: this.settings.prefix + prefix, ...markers }));
      } catch (error) {
        // s3rver has no multipart listing; a lifecycle rule (AbortIncompleteMultipartUpload) covers real buckets too.
        if (error instanceof S3ServiceException && error.name === 'NotImplemented') return removed;
        throw error;
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= before) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        removed += 1;
      }
      if (!page.IsTruncated) return removed;
      markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
    }
  }
}

function unversionedId(lastModified: Date, etag: string): string {
  return `${lastModified.toISOString()} ${etag}`;
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3GetError) return error.status === 404;
  if (error instanceof S3ServiceException) {
    return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404;
  }
  return false;
}
