import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatUtc } from './display-time';

describe('formatUtc', () => {
  it('shows a moment in UTC with the zone named, whatever the server zone', () => {
    assert.equal(formatUtc(new Date('2026-11-25T17:52:36.789+01:00')), '2026-11-25 16:52:36 UTC');
    assert.equal(formatUtc('2026-01-02T03:04:05Z'), '2026-01-02 03:04:05 UTC');
    assert.equal(formatUtc(null), '–');
    assert.equal(formatUtc('not a time'), '–');
  });
});
