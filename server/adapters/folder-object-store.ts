import { randomUUID } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import {
  assertValidKey,
  InvalidKeyError,
  type LocalFile,
  type ObjectBody,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type ObjectVersion,
  SymlinkRefusedError,
} from '../ports/object-store';

const PARTIAL = '.partial-';

export interface FolderObjectStoreOptions {
  /** Where skipped symbolic links are reported (default: a process warning). */
  warn?: (message: string) => void;
}

/**
 * The embedded default: one folder is one bucket, keys map to relative paths. Symbolic links below
 * the folder are never followed (they could point anywhere): listings skip them with a warning,
 * reads and writes through them fail with SymlinkRefusedError. The folder itself may be a link.
 */
export class FolderObjectStore implements ObjectStore {
  readonly location: string;
  readonly remote = false;
  private readonly warned = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly options: FolderObjectStoreOptions = {},
  ) {
    this.location = root;
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key.endsWith('/')) throw new InvalidKeyError(key, 'ends with "/"');
    return join(this.root, ...key.split('/'));
  }

  /** The key's path once no existing part of it below the root is a symbolic link. */
  private async checkedPathOf(key: string): Promise<string> {
    const path = this.pathOf(key);
    await this.refuseLinks(key);
    return path;
  }

  private async refuseLinks(key: string): Promise<void> {
    const segments = key.split('/').filter(Boolean);
    let path = this.root;
    for (let index = 0; index < segments.length; index += 1) {
      path = join(path, segments[index]!);
      const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
        throw error;
      });
      if (!info) return; // the rest does not exist (yet): nothing to follow
      if (info.isSymbolicLink()) throw new SymlinkRefusedError(this.location, segments.slice(0, index + 1).join('/'));
    }
  }

  private warnOnce(key: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    const message = `${key} is a symbolic link in ${this.location}: skipped (links are never followed)`;
    if (this.options.warn) this.options.warn(message);
    else process.emitWarning(message, 'StockflowWarning');
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
      const info = await lstat(path, { bigint: true }).catch(() => null);
      if (info?.isFile()) yield { key, version: `${info.mtimeNs}-${info.size}-${info.ino}`, settled: false };
    }
  }

  /** Files whose key starts with prefix, in key order, without put()'s in-progress partial files. */
  private async *files(prefix: string): AsyncGenerator<{ key: string; path: string }> {
    for await (const { key, path } of this.entries(prefix)) {
      if (!key.includes(PARTIAL)) yield { key, path };
    }
  }

  /** Every file whose key starts with prefix, partial ones included; symbolic links are skipped with a warning. */
  private async *entries(prefix: string): AsyncGenerator<{ key: string; path: string }> {
    // Walk only the deepest folder the prefix names, then filter by the rest of the prefix.
    const folderPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (folderPart) assertValidKey(folderPart);
    try {
      await this.refuseLinks(folderPart);
    } catch (error) {
      if (!(error instanceof SymlinkRefusedError)) throw error;
      this.warnOnce(error.key);
      return;
    }
    const start = folderPart ? join(this.root, ...folderPart.split('/')) : this.root;
    for await (const path of walk(start, (path) => this.warnOnce(this.keyOf(path)))) {
      const key = this.keyOf(path);
      if (key.startsWith(prefix)) yield { key, path };
    }
  }

  private keyOf(path: string): string {
    return relative(this.root, path).split(sep).join('/');
  }

  async get(key: string): Promise<Readable> {
    const path = await this.checkedPathOf(key);
    // O_NOFOLLOW: a link swapped in after the check is refused too.
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ELOOP') throw new SymlinkRefusedError(this.location, key);
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'EISDIR') throw new ObjectNotFoundError(this.location, key);
      throw error;
    });
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new ObjectNotFoundError(this.location, key);
    }
    return handle.createReadStream({ highWaterMark: 256 * 1024 });
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    const path = await this.checkedPathOf(key);
    const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([body]) : body;
    // Write beside the target and rename, so readers never see half an object.
    const partial = partialOf(path);
    try {
      const handle = await inFolderOf(path, () => open(partial, 'wx'));
      await pipeline(source, handle.createWriteStream());
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async putFile(key: string, file: LocalFile): Promise<void> {
    await this.put(key, createReadStream(file.path));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    return statInfo(key, await this.checkedPathOf(key));
  }

  /** Folders left empty go too, as S3 has no folders (and a cleaned run folder would linger). */
  async delete(key: string): Promise<void> {
    const path = await this.checkedPathOf(key);
    await rm(path, { force: true });
    await this.removeEmptyFoldersAbove(path);
  }

  /** A hard link renamed into place (no bytes copied); a byte copy where the file system has no links. */
  async copy(from: string, to: string): Promise<void> {
    const source = await this.checkedPathOf(from);
    if (!(await lstat(source).catch(() => null))?.isFile()) throw new ObjectNotFoundError(this.location, from);
    const path = await this.checkedPathOf(to);
    const partial = partialOf(path);
    try {
      await inFolderOf(path, () =>
        link(source, partial).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') throw error;
          return copyFile(source, partial, constants.COPYFILE_EXCL);
        }),
      );
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  /** Partial files (put() killed part-way) last written before `before`, and the folders they leave empty. */
  async removeInterruptedWrites(prefix: string, before: Date): Promise<number> {
    let removed = 0;
    for await (const { key, path } of this.entries(prefix)) {
      if (!key.includes(PARTIAL)) continue;
      const info = await lstat(path).catch(() => null);
      if (!info || info.mtime >= before) continue;
      await rm(path, { force: true });
      await this.removeEmptyFoldersAbove(path);
      removed += 1;
    }
    return removed;
  }

  private async removeEmptyFoldersAbove(path: string): Promise<void> {
    for (let folder = dirname(path); folder.startsWith(this.root + sep); folder = dirname(folder)) {
      // Fails (and stops) at the first folder that is not empty.
      if (
        !(await rmdir(folder).then(
          () => true,
          () => false,
        ))
      )
        return;
    }
  }
}

function partialOf(path: string): string {
  return `${path}${PARTIAL}${randomUUID()}`;
}

/** Runs create after making path's folder; once more if a concurrent delete removed the (empty) folder in between. */
async function inFolderOf<T>(path: string, create: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  try {
    return await create();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true });
    return create();
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

/** Files under a folder in key order (sorted per folder, so the whole walk is sorted); links go to onLink. */
async function* walk(folder: string, onLink: (path: string) => void): AsyncGenerator<string> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  // Compare as keys compare ("a/b" vs "a-b"): a folder sorts as its name plus "/".
  const named = entries.map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }));
  named.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  for (const { entry } of named) {
    const path = join(folder, entry.name);
    if (entry.isSymbolicLink()) onLink(path);
    else if (entry.isDirectory()) yield* walk(path, onLink);
    else if (entry.isFile()) yield path;
  }
}
