import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { ReadAheadStore } from '../../server/pipeline/read-ahead';
import { streamToString } from '../../server/pipeline/streams';

/** A real folder store whose gets are counted, held until released, or failed once on request. */
class ObservedStore extends FolderObjectStore {
  inFlight = 0;
  mostInFlight = 0;
  readonly asked: string[] = [];
  readonly failOnce = new Set<string>();
  readonly handedOut: Readable[] = [];
  /** Bodies send their first part only, and then nothing. */
  stallBodies = false;
  private gate: Promise<void> = Promise.resolve();
  private openGate = (): void => {};

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }
  release(): void {
    this.openGate();
  }

  override async get(key: string): Promise<Readable> {
    this.asked.push(key);
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await this.gate;
      if (this.failOnce.delete(key)) throw new Error(`injected failure reading ${key}`);
      // The body arrives in two parts, the second a moment later: a fetch is a stream, not one chunk.
      const whole = await streamToString(await super.get(key));
      const body = new PassThrough();
      this.handedOut.push(body);
      body.write(whole.slice(0, 3));
      if (!this.stallBodies) setTimeout(() => body.end(whole.slice(3)), 5);
      return body;
    } finally {
      this.inFlight -= 1;
    }
  }
}

describe('ReadAheadStore', () => {
  let root: string;
  const files: Array<{ key: string; size: number }> = [];
  const content = (index: number): string => `Date,Open\n${'2020-01-01,1\n'.repeat(index + 1)}`;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'stockflow-read-ahead-'));
    const store = new FolderObjectStore(root);
    for (let index = 0; index < 12; index += 1) {
      const key = `Stocks/c${String(index).padStart(2, '0')}.us.txt`;
      await store.put(key, content(index));
      files.push({ key, size: Buffer.byteLength(content(index)) });
    }
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('fetches ahead in the reader order, at most `requests` at once, and hands each file its exact bytes', async () => {
    const source = new ObservedStore(root);
    source.hold();
    const ahead = new ReadAheadStore(source, files, { requests: 3, budgetBytes: 1 << 20, largestFileBytes: 1 << 20 });
    await sleep(10);
    assert.deepEqual(
      source.asked,
      files.slice(0, 3).map((file) => file.key),
      'three requests, the first three files',
    );
    source.release();
    for (const [index, file] of files.entries()) assert.equal(await streamToString(await ahead.get(file.key)), content(index));
    assert.equal(source.mostInFlight, 3);
    assert.deepEqual(
      source.asked,
      files.map((file) => file.key),
      'each file fetched once, in order',
    );
    ahead.close();
  });

  it('holds no more listed bytes ahead than its budget (but always one file)', async () => {
    const source = new ObservedStore(root);
    const budgetBytes = files[0]!.size + files[1]!.size;
    const ahead = new ReadAheadStore(source, files, { requests: 8, budgetBytes, largestFileBytes: 1 << 20 });
    await sleep(30);
    assert.deepEqual(source.asked, [files[0]!.key, files[1]!.key]);
    await streamToString(await ahead.get(files[0]!.key));
    await sleep(30);
    // files[1] and files[2] together exceed the budget: the next fetch waits for the reader.
    assert.deepEqual(source.asked, [files[0]!.key, files[1]!.key]);
    await streamToString(await ahead.get(files[1]!.key));
    await sleep(30);
    assert.deepEqual(source.asked.slice(2), [files[2]!.key], 'one file ahead even when it alone is over the budget');
    ahead.close();
  });

  it('leaves files over the size limit to be streamed when the reader asks, and keeps fetching past them', async () => {
    const source = new ObservedStore(root);
    const largestFileBytes = files[3]!.size - 1;
    const ahead = new ReadAheadStore(source, files.slice(3, 6), { requests: 8, budgetBytes: 1 << 20, largestFileBytes });
    await sleep(30);
    assert.deepEqual(source.asked, [], 'files[3..5] are all over the limit');
    const small = new ReadAheadStore(source, [files[11]!, files[0]!], { requests: 8, budgetBytes: 1 << 20, largestFileBytes: files[0]!.size });
    await sleep(30);
    assert.deepEqual(source.asked, [files[0]!.key], 'the large file skipped, the small one after it fetched');
    assert.equal(await streamToString(await ahead.get(files[4]!.key)), content(4));
    assert.equal(await streamToString(await small.get(files[11]!.key)), content(11));
    ahead.close();
    small.close();
  });

  it('hands a failed fetch to the reader, and a second get (the retry) reads the source again', async () => {
    const source = new ObservedStore(root);
    source.failOnce.add(files[1]!.key);
    const ahead = new ReadAheadStore(source, files.slice(0, 3), { requests: 2, budgetBytes: 1 << 20, largestFileBytes: 1 << 20 });
    assert.equal(await streamToString(await ahead.get(files[0]!.key)), content(0));
    await assert.rejects(ahead.get(files[1]!.key), /injected failure reading Stocks\/c01/);
    assert.equal(await streamToString(await ahead.get(files[1]!.key)), content(1));
    assert.equal(await streamToString(await ahead.get(files[2]!.key)), content(2));
    assert.equal(source.asked.filter((key) => key === files[1]!.key).length, 2);
    ahead.close();
  });

  it('close() stops fetching and destroys bodies still being read', async () => {
    const source = new ObservedStore(root);
    source.stallBodies = true;
    const ahead = new ReadAheadStore(source, files, { requests: 2, budgetBytes: 1 << 20, largestFileBytes: 1 << 20 });
    while (source.handedOut.length < 2) await sleep(1);
    await sleep(10);
    assert.ok(
      source.handedOut.every((body) => !body.destroyed),
      'bodies mid-read before close',
    );
    ahead.close();
    assert.ok(
      source.handedOut.every((body) => body.destroyed),
      'the bodies in flight are destroyed',
    );
    source.stallBodies = false;
    await sleep(30);
    assert.equal(source.asked.length, 2, 'no fetch after close');
  });
});
