import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { spreadsheetSafe, storedText } from './stored-text';

describe('storedText', () => {
  it('leaves ordinary text as it is', () => {
    assert.equal(storedText('2017-01-03,1,1,1,2,1,0 é ü'), '2017-01-03,1,1,1,2,1,0 é ü');
  });

  it('escapes control characters, so jsonb and PostgreSQL text accept it', () => {
    assert.equal(storedText('a\u0000b\tc\u007f\u0085'), 'a\\x00b\\x09c\\x7f\\x85');
    assert.doesNotMatch(JSON.stringify(storedText('\u0000\u001f')), /\\u00/);
  });

  it('cuts long text to the limit, saying how much was left out, never inside a surrogate pair', () => {
    assert.equal(storedText('abcdefghij', 4), 'abcd… (6 more characters)');
    assert.equal(storedText('\u0000\u0000', 5), '\\x00… (1 more characters)');
    const cut = storedText('abc😀def', 4);
    assert.equal(cut, 'abc… (5 more characters)');
    assert.doesNotMatch(JSON.stringify(cut), /\\ud/);
  });
});

describe('spreadsheetSafe', () => {
  it('prefixes a cell a spreadsheet would read as a formula', () => {
    for (const text of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) assert.equal(spreadsheetSafe(text), `'${text}`);
    for (const text of ['abc', '1', '', "'=already"]) assert.equal(spreadsheetSafe(text), text);
  });
});
