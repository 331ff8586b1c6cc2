import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PollingLoop } from './polling-loop';

describe('PollingLoop', () => {
  it('backs off while passes fail, reports a repeated error once, and polls at the interval again once it works', async () => {
    const passes: number[] = [];
    const reported: string[] = [];
    let recovered!: () => void;
    const done = new Promise<void>((resolve) => (recovered = resolve));
    const loop = new PollingLoop(
      async () => {
        passes.push(Date.now());
        if (passes.length <= 5) throw new Error('database unavailable');
        if (passes.length === 7) recovered();
      },
      20,
      (error) => reported.push((error as Error).message),
    );
    loop.start();
    await done;
    await loop.stop();
    const waits = passes.slice(1).map((at, index) => at - passes[index]!);
    // After failures 1..5: 40, 80, 160, 320, 640 ms; then the interval again. Less 2 ms: libuv
    // counts a timer from its cached loop time, so by Date.now() it can fire a millisecond early (CI saw 79).
    [40, 80, 160, 320, 640].forEach((least, index) => assert.ok(waits[index]! >= least - 2, `waits ${waits.join(', ')}`));
    assert.ok(waits[5]! < 320, `back to the 20 ms interval, not 640: ${waits.join(', ')}`);
    assert.deepEqual(reported, ['database unavailable']);
  });
});
