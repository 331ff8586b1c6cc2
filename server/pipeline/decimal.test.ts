import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatFixed, parseNonNegativeDecimal, percentChange, valueChange } from './decimal';

const d = (text: string) => {
  const parsed = parseNonNegativeDecimal(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
};

describe('decimal maths', () => {
  it('subtracts exactly where binary floats do not', () => {
    assert.equal(1.1 - 1.0 === 0.1, false);
    assert.equal(valueChange(d('1.0'), d('1.1')), '0.1');
    assert.equal(valueChange(d('17'), d('17.07')), '0.07');
    assert.equal(valueChange(d('17.07'), d('17')), '-0.07');
    assert.equal(valueChange(d('2.5'), d('2.50')), '0');
    assert.equal(valueChange(d('0.3'), d('0.1')), '-0.2');
  });

  it('computes percent change rounded half away from zero to 6 places', () => {
    assert.equal(percentChange(d('3'), d('4')), '33.333333');
    assert.equal(percentChange(d('3'), d('2')), '-33.333333');
    assert.equal(percentChange(d('3'), d('5')), '66.666667');
    assert.equal(percentChange(d('3'), d('1')), '-66.666667');
    assert.equal(percentChange(d('8'), d('8.0000001')), '0.000001'); // 0.00000125 -> 0.000001
    assert.equal(percentChange(d('8'), d('8.0000004')), '0.000005'); // exactly 0.000005
    assert.equal(percentChange(d('16'), d('16.0000004')), '0.000003'); // 0.0000025 rounds up
    assert.equal(percentChange(d('16'), d('15.9999996')), '-0.000003');
    assert.equal(percentChange(d('17.07'), d('17.07')), '0');
  });

  it('gives no percent for a zero open', () => {
    assert.equal(percentChange(d('0'), d('12.138')), null);
    assert.equal(valueChange(d('0'), d('12.138')), '12.138');
  });

  it('falls back to BigInt for values beyond double precision and agrees with it', () => {
    assert.equal(valueChange(d('123456789012345678.5'), d('123456789012345679')), '0.5');
    assert.equal(percentChange(d('99999999999.999999'), d('199999999999.999998')), '100');
    assert.equal(percentChange(d('1'), d('987654321987.654321')), '98765432198665.4321');
  });

  it('parses only plain non-negative decimals', () => {
    for (const bad of ['', '-1', '1e5', '1.', '1.2.3', 'abc', ' 1', 'NaN', 'Infinity', '+']) {
      assert.equal(parseNonNegativeDecimal(bad), null, bad);
    }
    assert.deepEqual(parseNonNegativeDecimal('.5'), { digits: '05', scale: 1 });
    assert.deepEqual(parseNonNegativeDecimal('+3'), { digits: '3', scale: 0 });
  });

  it('formats without exponent or trailing zeros', () => {
    assert.equal(formatFixed(1234500, 4), '123.45');
    assert.equal(formatFixed(-5, 3), '-0.005');
    assert.equal(formatFixed(0, 6), '0');
    assert.equal(formatFixed(10n ** 25n, 2), '100000000000000000000000');
  });

  it('formats safe integers by arithmetic exactly as by digit strings (bigint path)', () => {
    // Deterministic pseudo-random values of every length up to 15 digits, both signs, every scale.
    let seed = 7;
    const next = (): number => (seed = (seed * 48271) % 2147483647);
    const values = [0, 1, -1, 9, 10, 99, 100, 999_999_999_999_999, -999_999_999_999_999, 100_000_000_000_000, 999_999_999_999_990];
    for (let index = 0; index < 20_000; index += 1) {
      const digits = 1 + (next() % 15);
      let value = 0;
      for (let at = 0; at < digits; at += 1) value = value * 10 + (next() % 10);
      values.push(next() % 2 === 0 ? value : -value);
    }
    for (const value of values) for (let scale = 0; scale <= 16; scale += 1) assert.equal(formatFixed(value, scale), formatFixed(BigInt(value), scale), `${value} at scale ${scale}`);
  });
});
