import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DateLines } from './date-lines';

describe('DateLines (the first line of each date in a file)', () => {
  it('finds no duplicate while the days go forward', () => {
    const dates = new DateLines();
    assert.equal(dates.add('2017-01-02', 2), undefined);
    assert.equal(dates.add('2017-01-03', 3), undefined);
    assert.equal(dates.add('2017-01-05', 4), undefined);
  });

  it('names the first line of a repeated day, before and after the order breaks', () => {
    const dates = new DateLines();
    dates.add('2017-01-02', 2);
    dates.add('2017-01-03', 3);
    assert.equal(dates.add('2017-01-03', 4), 3, 'a day repeated at once');
    assert.equal(dates.add('2017-01-01', 5), undefined, 'an earlier new day is kept');
    assert.equal(dates.add('2017-01-02', 6), 2, 'a day listed before the order broke');
    assert.equal(dates.add('2017-01-09', 7), undefined);
    assert.equal(dates.add('2017-01-09', 8), 7, 'a day added after the order broke');
    assert.equal(dates.add('2017-01-01', 9), 5);
  });
});
