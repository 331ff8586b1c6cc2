import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { deriveRow } from './derive-row';
import { isCalendarDate, isHeaderLine, looksLikeHeader } from './stock-row';

function kept(line: string) {
  const result = deriveRow(line);
  assert.ok(result.ok, `expected ${line} to be kept, got ${result.ok ? '' : result.reason}`);
  return result;
}

function rejected(line: string): string {
  const result = deriveRow(line);
  assert.equal(result.ok, false, `expected ${line} to be rejected`);
  return result.ok ? '' : result.reason;
}

describe('deriveRow', () => {
  it('derives value_change and daily_percent_change in output column order', () => {
    const row = kept('2005-02-25,17.07,17.53,16.94,17.17,69342,0');
    assert.equal(row.csv, '2005-02-25,17.07,17.53,16.94,17.17,69342,0.585823,0.1');
    assert.equal(row.date, '2005-02-25');
    assert.equal(row.openIsZero, false);
  });

  it('leaves the percent empty and warns for a zero open', () => {
    const row = kept('2008-02-07,0,12.138,0,12.138,0,0');
    assert.equal(row.csv, '2008-02-07,0,12.138,0,12.138,0,,12.138');
    assert.equal(row.openIsZero, true);
  });

  it('takes quoted fields, spaces and a plus sign through the general parser with the same result', () => {
    const plain = kept('2010-01-04,10.5,11,10,10.75,100,0').csv;
    assert.equal(kept('"2010-01-04","10.5","11","10","10.75","100","0"').csv, plain);
    assert.equal(kept('2010-01-04, 10.5 ,11,10,10.75,100,0').csv, plain);
    assert.equal(kept('2010-01-04,+10.5,11,10,10.75,100,0').csv, plain);
  });

  it('names the field and the problem when it rejects', () => {
    assert.match(rejected('2010-02-30,1,1,1,1,1,0'), /^Date: .* not a calendar date/);
    assert.match(rejected('2010-13-01,1,1,1,1,1,0'), /^Date/);
    assert.match(rejected('01/02/2010,1,1,1,1,1,0'), /^Date/);
    assert.match(rejected('2010-01-04,-1,1,1,1,1,0'), /^Open: "-1" is not a non-negative decimal/);
    assert.match(rejected('2010-01-04,1,abc,1,1,1,0'), /^High:/);
    assert.match(rejected('2010-01-04,1,1,,1,1,0'), /^Low:/);
    assert.match(rejected('2010-01-04,1,1,1,1e3,1,0'), /^Close:/);
    assert.match(rejected('2010-01-04,1,1,1,1,1.5,0'), /^Volume: "1.5" is not a non-negative integer/);
    assert.match(rejected('2010-01-04,1,1,1,1,-3,0'), /^Volume/);
    assert.match(rejected('2010-01-04,1,1,1,1,1,x'), /^OpenInt/);
    assert.match(rejected('2010-01-04,1,1,1,1,1'), /expected 7 columns, found 6/);
    assert.match(rejected('2010-01-04,1,1,1,1,1,0,9'), /expected 7 columns, found 8/);
    assert.match(rejected('2010-01-04,"1,1,1,1,1,0'), /unterminated quoted field/);
  });

  it('agrees between the fast path and the general parser on many generated rows', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let index = 0; index < 2000; index += 1) {
      const price = () => (next() * 500).toFixed(Math.floor(next() * 5)).replace(/\.?0+$/, '') || '0';
      const fields = ['2001-03-05', price(), price(), price(), price(), String(Math.floor(next() * 1e7)), '0'];
      const fast = kept(fields.join(',')).csv;
      const general = kept(fields.map((field) => `"${field}"`).join(',')).csv;
      assert.equal(fast, general, fields.join(','));
    }
  });

  it('agrees with the general parser on damaged rows too (stray points, commas, signs, long numbers)', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = ['0', '5', '9', '.', ',', '-', '+', ' ', 'e', '1234567890123456'];
    for (let index = 0; index < 20_000; index += 1) {
      let line = `2001-03-05,${(next() * 500).toFixed(Math.floor(next() * 4))},12.5,${next() < 0.5 ? '0' : '11.25'},${(next() * 50).toFixed(2)},${Math.floor(next() * 1e6)},0`;
      for (let damage = Math.floor(next() * 3); damage > 0; damage -= 1) {
        const at = 11 + Math.floor(next() * (line.length - 11));
        const piece = pieces[Math.floor(next() * pieces.length)]!;
        line = next() < 0.3 ? line.slice(0, at) + line.slice(at + 1) : line.slice(0, at) + piece + line.slice(at);
      }
      // Quoting every field sends the same fields through the general parser.
      const quoted = line
        .split(',')
        .map((field) => `"${field}"`)
        .join(',');
      const [direct, general] = [deriveRow(line), deriveRow(quoted)];
      assert.equal(direct.ok, general.ok, `${line}: ${direct.ok ? 'kept' : direct.reason} / ${general.ok ? 'kept' : general.reason}`);
      if (direct.ok && general.ok) assert.equal(direct.csv, general.csv, line);
    }
  });
});

describe('row helpers', () => {
  it('knows real calendar dates, leap years included', () => {
    assert.equal(isCalendarDate('2016-02-29'), true);
    assert.equal(isCalendarDate('2017-02-29'), false);
    assert.equal(isCalendarDate('1900-02-29'), false);
    assert.equal(isCalendarDate('2000-02-29'), true);
    assert.equal(isCalendarDate('2017-04-31'), false);
    assert.equal(isCalendarDate('2017-4-3'), false);
  });

  it('recognises the header in any case and tells a header-like line from data', () => {
    assert.equal(isHeaderLine('Date,Open,High,Low,Close,Volume,OpenInt'), true);
    assert.equal(isHeaderLine('date,open,high,low,close,volume,openint'), true);
    assert.equal(isHeaderLine('Date,Open,High,Low,Close,Volume'), false);
    assert.equal(looksLikeHeader('Ticker,Date,Price'), true);
    assert.equal(looksLikeHeader('2010-01-04,1,1,1,1,1,0'), false);
  });
});
