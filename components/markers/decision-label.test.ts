import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decisionColour, formatUtc, reasonLabel } from './decision-label';

describe('marker decision labels', () => {
  it('shows times with their zone, known reasons in words and unknown ones readably', () => {
    assert.equal(formatUtc('2026-11-25T16:40:01.123Z'), '2026-11-25 16:40:01 UTC');
    assert.equal(reasonLabel('other-bucket'), 'wrong bucket');
    assert.equal(reasonLabel('some-new-reason'), 'some new reason');
    assert.equal(decisionColour('refused'), 'failed');
  });
});
