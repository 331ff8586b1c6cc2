import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { coveredDays } from './point-label';

describe('coveredDays', () => {
  it('names the day, or the first and last day of a bucket and its trading days', () => {
    assert.equal(coveredDays({ first: '2024-01-02', last: '2024-01-02', days: 1 }), '2024-01-02');
    assert.equal(coveredDays({ first: '2024-01-02', last: '2024-01-31', days: 21 }), '2024-01-02 – 2024-01-31 (21 trading days)');
  });
});
