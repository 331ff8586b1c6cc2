import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Changes whenever the content changes (S3 ETag, or size+mtime for folders). */
  etag: string;
  lastModified: Date;
}

export type ObjectBody = Readable | Buffer | string;

/** A finished file on local disk, with what its writer counted: a store can send it whole, read it again to retry, and have it checked. */
export interface LocalFile {
  path: string;
  size: number;
  /** CRC32 (IEEE, as zlib.crc32) of the whole file. */
  crc32: number;
}

/** The current version of one object: what the .SUCCESS watcher tells uploads apart by. */
export interface ObjectVersion {
  key: string;
  /** Names this one write of the object: a rewrite of the same bytes gets a new one (unlike an ETag). */
  version: string;
  /**
   * False where a writer may still be changing the object in place (a folder): act on it only once
   * a later listing shows the same version. S3 shows only whole uploads, so its versions are settled.
   */
  settled: boolean;
}

/** A bucket (or a prefix of one): the pipeline's only view of object storage. */
export interface ObjectStore {
  /** Where this store points, for messages (s3://bucket/prefix or a folder path). */
  readonly location: string;
  /** Reads cross a network: each get waits a round trip, worth overlapping with other work. */
  readonly remote: boolean;
  /** Every object whose key starts with prefix, in key order, fetched page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** The current version of every object whose key starts with prefix (deleted objects are absent). */
  listVersions(prefix: string): AsyncIterable<ObjectVersion>;
  /** Streams an object's content; throws ObjectNotFoundError when it does not exist. */
  get(key: string): Promise<Readable>;
  /** Writes an object from a stream or buffer; large streams go up in parts. */
  put(key: string, body: ObjectBody, options?: { contentType?: string }): Promise<void>;
  /** Writes an object from a finished local file (left in place): on S3 one request with its CRC32 checked, up to a size. */
  putFile(key: string, file: LocalFile, options?: { contentType?: string }): Promise<void>;
  /** The object's metadata, or null when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
  /** Replaces `to` with a copy of `from` in one step (readers see the old or the new object, never half). */
  copy(from: string, to: string): Promise<void>;
  /**
   * Removes what interrupted writes left under prefix (a folder's partial files, S3's incomplete
   * multipart uploads) that were last written before `before`; returns how many.
   */
  removeInterruptedWrites(prefix: string, before: Date): Promise<number>;
}

/** A symbolic link inside a folder bucket: never followed, since it can point outside the bucket. */
export class SymlinkRefusedError extends Error {
  constructor(
    readonly location: string,
    readonly key: string,
  ) {
    super(`${key} is a symbolic link in ${location}: refused (links can point outside the bucket)`);
    this.name = 'SymlinkRefusedError';
  }
}

export class ObjectNotFoundError extends Error {
  constructor(
    readonly location: string,
    readonly key: string,
  ) {
    super(`No object ${key} in ${location}`);
    this.name = 'ObjectNotFoundError';
  }
}

export class InvalidKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
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
