import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';

import { createSpoolFile } from './spool-file';
import { writeChunk } from './streams';

describe('createSpoolFile', () => {
  let parent: string;
  before(async () => {
    parent = await mkdtemp(join(tmpdir(), 'spool-test-'));
  });
  after(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('holds every byte written, and counts their size and CRC32 as zlib does over the whole', async () => {
    const spool = await createSpoolFile('output.csv', parent);
    // Chunks bigger than the stream's buffer too, so writes wait for the file.
    const chunks = [Buffer.from('Date,Open\n'), randomBytes(3 << 20), Buffer.alloc(0), randomBytes(70_001)];
    for (const chunk of chunks) await writeChunk(spool.stream, chunk);
    spool.stream.end();
    const file = await spool.finished;
    const whole = Buffer.concat(chunks);
    assert.equal(file.size, whole.length);
    assert.equal(file.crc32, crc32(whole));
    assert.ok((await readFile(file.path)).equals(whole));
    await spool.remove();
    assert.deepEqual(await readdir(parent), []);
  });

  it('rejects finished with the writer’s error, and remove leaves nothing behind', async () => {
    const spool = await createSpoolFile('output.csv', parent);
    await writeChunk(spool.stream, Buffer.from('partial'));
    spool.stream.destroy(new Error('the transform failed'));
    await assert.rejects(spool.finished, /the transform failed/);
    await spool.remove();
    assert.deepEqual(await readdir(parent), []);
  });

  it('removes spool folders a killed process left hours ago, and no folder in use', async () => {
    const leftBehind = join(parent, 'stockflow-spool-killed');
    const inUse = join(parent, 'stockflow-spool-writing');
    const stranger = join(parent, 'someone-else');
    for (const folder of [leftBehind, inUse, stranger]) {
      await mkdir(folder);
      await writeFile(join(folder, 'output.csv'), 'rows\n');
    }
    const hoursAgo = new Date(Date.now() - 7 * 60 * 60_000);
    for (const path of [leftBehind, join(leftBehind, 'output.csv'), stranger, join(stranger, 'output.csv'), inUse]) await utimes(path, hoursAgo, hoursAgo);
    // inUse's file was written a moment ago: its folder is in use.
    const spool = await createSpoolFile('output.csv', parent);
    const names = await readdir(parent);
    assert.ok(!names.includes('stockflow-spool-killed'), names.join());
    assert.ok(names.includes('stockflow-spool-writing') && names.includes('someone-else'), names.join());
    assert.equal(names.length, 3, 'and the new spool’s own folder');
    await spool.remove();
    await rm(inUse, { recursive: true });
    await rm(stranger, { recursive: true });
  });

  it('can be removed before it is finished, which fails finished', async () => {
    const spool = await createSpoolFile('output.csv', parent);
    await writeChunk(spool.stream, Buffer.from('rows'));
    await spool.remove();
    assert.deepEqual(await readdir(parent), []);
    await assert.rejects(spool.finished, /was removed before it was finished/);
  });
});
