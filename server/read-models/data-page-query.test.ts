import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseDataQuery } from './data-page';

describe('parseDataQuery', () => {
  it('leaves out and reports the values it cannot use, keeping the rest', () => {
    const { query, problems } = parseDataQuery({ closeMin: 'abc', from: '2026-02-31', pctMax: '1.5', company: 'aapl' });
    assert.deepEqual(Object.keys(problems).sort(), ['closeMin', 'from']);
    assert.equal(query.closeMin, undefined);
    assert.equal(query.from, undefined);
    assert.equal(query.pctMax, 1.5);
    assert.equal(query.company, 'aapl');
    assert.deepEqual(parseDataQuery({ closeMin: '2' }).problems, {});
  });
});

describe('parseDataQuery: columns, second sort and bounds', () => {
  it('reads hidden columns from a list or repeated checkboxes, and refuses unknown ones', () => {
    assert.deepEqual(parseDataQuery({ hide: 'open_value, high_value' }).query.hide, ['open_value', 'high_value']);
    assert.deepEqual(parseDataQuery({ hide: ['open_value', 'value_change'] }).query.hide, ['open_value', 'value_change']);
    const bad = parseDataQuery({ hide: 'open_value,nope' });
    assert.deepEqual(Object.keys(bad.problems), ['hide']);
    assert.deepEqual(bad.query.hide, []);
  });

  it('keeps a volume bound within bigint and treats blanks as unset', () => {
    assert.deepEqual(Object.keys(parseDataQuery({ volumeMax: '1e30', volumeMin: '-1' }).problems).sort(), ['volumeMax', 'volumeMin']);
    const blank = parseDataQuery({ sort2: '', openMin: '', jump: '', pctEmpty: '' });
    assert.deepEqual(blank.problems, {});
    assert.equal(blank.query.sort2, undefined);
    assert.equal(blank.query.openMin, undefined);
  });
});
