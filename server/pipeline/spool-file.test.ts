import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

  it('can be removed before it is finished, which fails finished', async () => {
    const spool = await createSpoolFile('output.csv', parent);
    await writeChunk(spool.stream, Buffer.from('rows'));
    await spool.remove();
    assert.deepEqual(await readdir(parent), []);
    await assert.rejects(spool.finished, /was removed before it was finished/);
  });
});
