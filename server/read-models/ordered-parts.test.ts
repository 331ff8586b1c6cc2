import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { inPartOrder, type PartProducer } from './ordered-parts';

const textOf = async (output: AsyncGenerator<Buffer>): Promise<string> => {
  let text = '';
  for await (const bytes of output) text += bytes.toString();
  return text;
};

describe('inPartOrder (parts made side by side, handed over in order)', () => {
  it('hands parts over in order however their producers race', async () => {
    // Part i writes "i:0 i:1 i:2 " with delays that make later parts finish first.
    const produce: PartProducer<string> = async (_worker, part, emit) => {
      for (let piece = 0; piece < 3; piece += 1) {
        await sleep(part % 2 === 0 ? 6 : 1);
        await emit(Buffer.from(`${part}:${piece} `));
      }
    };
    const expected = Array.from({ length: 7 }, (_, part) => `${part}:0 ${part}:1 ${part}:2 `).join('');
    assert.equal(await textOf(inPartOrder(['a', 'b', 'c'], 7, produce, 1024)), expected);
    assert.equal(await textOf(inPartOrder(['only'], 7, produce, 1024)), expected);
  });

  it('spreads the parts over the workers, each worker one part at a time', async () => {
    const busy = new Set<string>();
    const used = new Set<string>();
    const produce: PartProducer<string> = async (worker, part, emit) => {
      assert.ok(!busy.has(worker), `worker ${worker} was given a second part while busy`);
      busy.add(worker);
      used.add(worker);
      await sleep(2);
      await emit(Buffer.from(String(part)));
      busy.delete(worker);
    };
    assert.equal(await textOf(inPartOrder(['a', 'b'], 10, produce, 1024)), '0123456789');
    assert.deepEqual([...used].sort(), ['a', 'b']);
  });

  it('holds a producer whose part is full until the reader reaches it', async () => {
    const emitted = [0, 0];
    const produce: PartProducer<number> = async (_worker, part, emit) => {
      for (let piece = 0; piece < 100; piece += 1) {
        await emit(Buffer.alloc(10, part));
        emitted[part]! += 10;
      }
    };
    const output = inPartOrder([0, 1], 2, produce, 50);
    const first = await output.next();
    assert.equal(first.done, false);
    await sleep(20);
    // Part 1 runs ahead only up to its limit (one emit may land on the limit), part 0 waits for the reader.
    assert.ok(emitted[1]! <= 60, `part 1 went ${emitted[1]} bytes ahead`);
    assert.ok(emitted[0]! <= 70, `part 0 went ${emitted[0]} bytes ahead of a reader that read once`);
    let total = first.value!.length;
    for await (const bytes of output) total += bytes.length;
    assert.equal(total, 2000);
  });

  it('ends the output with the first failure, even one in a later part', async () => {
    let releasedPartZero = false;
    const produce: PartProducer<number> = async (_worker, part, emit) => {
      if (part === 1) throw new Error('part 1 broke');
      try {
        for (;;) {
          await emit(Buffer.from('x'));
          await sleep(1);
        }
      } catch (error) {
        releasedPartZero = true;
        throw error;
      }
    };
    await assert.rejects(textOf(inPartOrder([0, 1], 3, produce, 1024)), /part 1 broke/);
    await sleep(10);
    assert.ok(releasedPartZero, 'the producer still running was released');
  });

  it('releases held producers when the reader stops early', async () => {
    const endings: string[] = [];
    const produce: PartProducer<number> = async (_worker, part, emit) => {
      try {
        for (;;) await emit(Buffer.alloc(64));
      } catch (error) {
        endings.push(`${part}: ${(error as Error).message}`);
        throw error;
      }
    };
    const output = inPartOrder([0, 1], 4, produce, 128);
    await output.next();
    await output.return(undefined);
    await sleep(10);
    assert.deepEqual(endings.sort(), ['0: the ordered output was stopped by its reader', '1: the ordered output was stopped by its reader']);
  });
});
