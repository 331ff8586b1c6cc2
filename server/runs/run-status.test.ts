import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RUN_STATUSES } from '../ports/orchestrator';
import { isActive, isCancellable, isFinished, isRerunnable, isRetryable } from './run-status';

describe('run status predicates', () => {
  it('say for every run status what it allows', () => {
    const table = Object.fromEntries(RUN_STATUSES.map((status) => [status, [isFinished(status), isActive(status), isCancellable(status), isRetryable(status), isRerunnable(status)]]));
    assert.deepEqual(table, {
      queued: [false, true, true, false, false],
      running: [false, true, true, false, false],
      success: [true, false, false, false, true],
      failed: [true, false, false, true, true],
      cancelled: [true, false, false, true, true],
    });
  });

  it("treat a status it does not know (another engine's) as unfinished", () => {
    assert.equal(isFinished(''), false);
    assert.equal(isFinished('up_for_retry'), false);
  });
});
