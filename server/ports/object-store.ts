import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Changes whenever the content changes (S3 ETag, or size+mtime for folders). */
  etag: string;
  lastModified: Date;
}

export type ObjectBody = Readable | Buffer | string;

/** A bucket (or a prefix of one): the pipeline's only view of object storage. */
export interface ObjectStore {
  /** Where this store points, for messages (s3://bucket/prefix or a folder path). */
  readonly location: string;
  /** Every object whose key starts with prefix, in key order, fetched page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Streams an object's content; throws ObjectNotFoundError when it does not exist. */
  get(key: string): Promise<Readable>;
  /** Writes an object from a stream or buffer; large streams go up in parts. */
  put(key: string, body: ObjectBody, options?: { contentType?: string }): Promise<void>;
  /** The object's metadata, or null when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly location: string, readonly key: string) {
    super(`No object ${key} in ${location}`);
    this.name = 'ObjectNotFoundError';
  }
}

export class InvalidKeyError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`Invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = 'InvalidKeyError';
  }
}

/** Keys are bucket-relative paths: no empty key, no leading slash, no '.' or '..' segments. */
export function assertValidKey(key: string): void {
  if (key.length === 0) throw new InvalidKeyError(key, 'empty');
  if (key.startsWith('/') || /^[A-Za-z]:[\\/]/.test(key)) throw new InvalidKeyError(key, 'absolute path');
  if (key.includes('\0')) throw new InvalidKeyError(key, 'contains a NUL byte');
  const segments = key.split(/[\\/]/);
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    throw new InvalidKeyError(key, 'contains a "." or ".." segment');
  }
  if (segments.some((segment, index) => segment === '' && index < segments.length - 1)) {
    throw new InvalidKeyError(key, 'contains an empty path segment');
  }
}
