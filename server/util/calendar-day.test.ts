import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { calendarDaySchema } from './calendar-day';

describe('calendarDaySchema', () => {
  it('takes real days only', () => {
    assert.equal(calendarDaySchema.safeParse('2024-02-29').success, true);
    for (const bad of ['2026-02-31', '2025-02-29', '2026-13-01', '2026-1-1', 'abc']) assert.equal(calendarDaySchema.safeParse(bad).success, false, bad);
  });
});
