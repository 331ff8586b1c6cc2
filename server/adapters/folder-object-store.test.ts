import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { streamToString } from '../pipeline/streams';
import { InvalidKeyError, ObjectNotFoundError, type ObjectVersion } from '../ports/object-store';
import { FolderObjectStore } from './folder-object-store';

describe('FolderObjectStore', () => {
  let root: string;
  let store: FolderObjectStore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'stockflow-folder-'));
    store = new FolderObjectStore(root);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('puts, heads, gets, lists in key order and deletes', async () => {
    await store.put('Stocks/b.us.csv', 'b');
    await store.put('Stocks/a.us.csv', Buffer.from('aa'));
    await store.put('Stocks-x/c.csv', Readable.from(['c']));
    await store.put('Stocks/sub/d.csv', 'd');
    assert.deepEqual((await store.head('Stocks/a.us.csv'))?.size, 2);
    assert.equal(await streamToString(await store.get('Stocks/b.us.csv')), 'b');
    const keys: string[] = [];
    for await (const object of store.list('Stocks/')) keys.push(object.key);
    assert.deepEqual(keys, ['Stocks/a.us.csv', 'Stocks/b.us.csv', 'Stocks/sub/d.csv']);
    await store.delete('Stocks/b.us.csv');
    assert.equal(await store.head('Stocks/b.us.csv'), null);
    await assert.rejects(store.get('Stocks/b.us.csv'), ObjectNotFoundError);
  });

  it('lists nothing under a prefix that does not exist', async () => {
    const keys: string[] = [];
    for await (const object of store.list('Nothing/here/')) keys.push(object.key);
    assert.deepEqual(keys, []);
  });

  it('rejects keys that would escape the bucket folder', async () => {
    for (const key of ['', '/etc/passwd', '../outside', 'a/../../b', 'a//b', 'dir/']) {
      await assert.rejects(store.put(key, 'x'), InvalidKeyError, key);
    }
    assert.deepEqual((await readdir(join(root, '..'))).includes('outside'), false);
  });

  it('leaves no partial file when the body stream fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk gone'));
      },
    });
    await assert.rejects(store.put('Output/x.csv', failing), /disk gone/);
    assert.equal(await store.head('Output/x.csv'), null);
    assert.deepEqual(await readdir(join(root, 'Output')), []);
  });

  it('copies an object over another in one step, leaving the source as it was', async () => {
    await store.put('c/from.csv', 'new');
    await store.put('c/to.csv', 'old');
    await store.copy('c/from.csv', 'c/to.csv');
    assert.equal(await streamToString(await store.get('c/to.csv')), 'new');
    assert.equal(await streamToString(await store.get('c/from.csv')), 'new');
    await store.put('c/from.csv', 'newer');
    assert.equal(await streamToString(await store.get('c/to.csv')), 'new', 'a later put of the source leaves the copy alone');
    await assert.rejects(store.copy('c/missing.csv', 'c/to.csv'), ObjectNotFoundError);
    assert.deepEqual((await readdir(join(root, 'c'))).sort(), ['from.csv', 'to.csv']);
  });

  it('removes partial files older than asked, and the empty folders they leave', async () => {
    const old = new Date(Date.now() - 2 * 3600_000);
    await mkdir(join(root, 'w/runs/killed'), { recursive: true });
    await writeFile(join(root, 'w/out.csv.partial-old'), 'x');
    await writeFile(join(root, 'w/runs/killed/out.csv.partial-old'), 'x');
    await writeFile(join(root, 'w/out.csv.partial-fresh'), 'x');
    for (const path of ['w/out.csv.partial-old', 'w/runs/killed/out.csv.partial-old']) await utimes(join(root, path), old, old);
    const removed = await store.removeInterruptedWrites('w/', new Date(Date.now() - 3600_000));
    assert.equal(removed, 2);
    assert.deepEqual(await readdir(join(root, 'w')), ['out.csv.partial-fresh']);
  });

  it('changes the etag when the content changes', async () => {
    await store.put('m/.SUCCESS', '1');
    const first = await store.head('m/.SUCCESS');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.put('m/.SUCCESS', '22');
    const second = await store.head('m/.SUCCESS');
    assert.notEqual(first?.etag, second?.etag);
  });

  it('gives every write its own version, even of the same empty bytes, and never calls it settled', async () => {
    const versions = async (): Promise<ObjectVersion[]> => {
      const found: ObjectVersion[] = [];
      for await (const object of store.listVersions('v/')) found.push(object);
      return found;
    };
    await store.put('v/a/.SUCCESS', '');
    await store.put('v/b/.SUCCESS', '');
    await writeFile(join(root, 'v/b/.SUCCESS.partial-x'), '');
    const first = await versions();
    assert.deepEqual(
      first.map((object) => [object.key, object.settled]),
      [
        ['v/a/.SUCCESS', false],
        ['v/b/.SUCCESS', false],
      ],
    );
    assert.deepEqual(await versions(), first);
    // put() replaces the file (new inode); a touch keeps the inode and changes only the mtime.
    await store.put('v/a/.SUCCESS', '');
    const rewritten = (await versions())[0]!;
    assert.notEqual(rewritten.version, first[0]!.version);
    await utimes(join(root, 'v/a/.SUCCESS'), new Date(), new Date(Date.now() + 1_000));
    const touched = (await versions())[0]!;
    assert.notEqual(touched.version, rewritten.version);
    assert.equal(touched.version.split('-')[2], rewritten.version.split('-')[2]);
  });
});
