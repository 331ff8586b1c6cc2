import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import {
  assertValidKey,
  InvalidKeyError,
  ObjectNotFoundError,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type ObjectVersion,
} from '../ports/object-store';

/** The embedded default: one folder is one bucket, keys map to relative paths. */
export class FolderObjectStore implements ObjectStore {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = root;
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key.endsWith('/')) throw new InvalidKeyError(key, 'ends with "/"');
    return join(this.root, ...key.split('/'));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for await (const { key, path } of this.files(prefix)) {
      const info = await statInfo(key, path);
      if (info) yield info;
    }
  }

  /**
   * mtime in nanoseconds + size + inode: a rewrite (new inode, as put() renames) or a touch (new
   * mtime) is a new version even with the same bytes. Never settled: a writer may still be
   * appending, so the watcher waits until a later listing shows the same version.
   */
  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    for await (const { key, path } of this.files(prefix)) {
      const info = await stat(path, { bigint: true }).catch(() => null);
      if (info?.isFile()) yield { key, version: `${info.mtimeNs}-${info.size}-${info.ino}`, settled: false };
    }
  }

  /** Files whose key starts with prefix, in key order, without put()'s in-progress partial files. */
  private async *files(prefix: string): AsyncGenerator<{ key: string; path: string }> {
    // Walk only the deepest folder the prefix names, then filter by the rest of the prefix.
    const folderPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (folderPart) assertValidKey(folderPart);
    const start = folderPart ? join(this.root, ...folderPart.split('/')) : this.root;
    for await (const path of walk(start)) {
      const key = relative(this.root, path).split(sep).join('/');
      if (key.startsWith(prefix) && !key.includes('.partial-')) yield { key, path };
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) throw new ObjectNotFoundError(this.location, key);
    return createReadStream(path, { highWaterMark: 256 * 1024 });
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Write beside the target and rename, so readers never see half an object.
    const partial = `${path}.partial-${randomUUID()}`;
    try {
      const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    return statInfo(key, this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

async function statInfo(key: string, path: string): Promise<ObjectInfo | null> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return null;
  return {
    key,
    size: info.size,
    etag: `${info.size.toString(16)}-${Math.trunc(info.mtimeMs).toString(16)}`,
    lastModified: info.mtime,
  };
}

/** Files under a folder in key order (sorted per folder, so the whole walk is sorted). */
async function* walk(folder: string): AsyncGenerator<string> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  // Compare as keys compare ("a/b" vs "a-b"): a folder sorts as its name plus "/".
  const named = entries.map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }));
  named.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  for (const { entry } of named) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
