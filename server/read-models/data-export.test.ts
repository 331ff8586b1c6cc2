import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import pg from 'pg';

import { inlineParameters } from './data-export';

describe('inlineParameters (COPY takes no bind parameters)', () => {
  const escape = (text: string) => pg.escapeLiteral(text);

  it('quotes strings, numbers and text arrays as literals the casts after them read', () => {
    const sql = inlineParameters(
      'company_name = ANY($1::text[]) AND stock_date >= $2::date AND close_value >= $3::numeric AND volume_traded <= $4::bigint',
      [['aapl', 'ge'], '2005-01-01', 5.5, 9007199254740991],
      escape,
    );
    assert.equal(sql, "company_name = ANY(ARRAY['aapl', 'ge']::text[]) AND stock_date >= '2005-01-01'::date AND close_value >= '5.5'::numeric AND volume_traded <= '9007199254740991'::bigint");
  });

  it('keeps hostile text inside its literal: quotes, backslashes and placeholders in values stay text', () => {
    const sql = inlineParameters('a = $1 AND b = $2 AND c = $10', ["x' OR 1=1 --", 'back\\slash $2', 3, 4, 5, 6, 7, 8, 9, 'ten'], escape);
    assert.equal(sql, "a = 'x'' OR 1=1 --' AND b =  E'back\\\\slash $2' AND c = 'ten'");
  });

  it('refuses what the filters never produce', () => {
    assert.throws(() => inlineParameters('a = $1', [Number.NaN], escape), /cannot inline/);
    assert.throws(() => inlineParameters('a = $1', [{}], escape), /cannot inline/);
    assert.throws(() => inlineParameters('a = $2', ['x'], escape), /no parameter \$2/);
  });
});
