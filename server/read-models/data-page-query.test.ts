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
