import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { csvField, csvRecord, LineSplitter, parseCsvLine, readAllLines } from './csv';

describe('LineSplitter', () => {
  it('handles CRLF, a BOM, a missing final newline and UTF-8 split across chunks', async () => {
    const bytes = Buffer.from('\uFEFFDate,Open\r\nfirst,é\r\n\r\nlast', 'utf8');
    // Cut inside the two-byte é and inside a CRLF.
    const cuts = [3, 17, 18, 21, bytes.length];
    const chunks = cuts.map((end, index) => bytes.subarray(index === 0 ? 0 : cuts[index - 1], end));
    const lines = await readAllLines(Readable.from(chunks));
    assert.deepEqual(lines, [
      { number: 1, text: 'Date,Open' },
      { number: 2, text: 'first,é' },
      { number: 3, text: '' },
      { number: 4, text: 'last' },
    ]);
  });

  it('yields nothing for an empty stream', async () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line.text));
    splitter.end();
    assert.deepEqual(lines, []);
  });
});

describe('parseCsvLine', () => {
  it('splits plain and quoted fields', () => {
    assert.deepEqual(parseCsvLine('a,b,,c'), { ok: true, fields: ['a', 'b', '', 'c'] });
    assert.deepEqual(parseCsvLine('"a,1","say ""hi""",c'), { ok: true, fields: ['a,1', 'say "hi"', 'c'] });
    assert.deepEqual(parseCsvLine('"x"'), { ok: true, fields: ['x'] });
  });

  it('rejects broken quoting', () => {
    assert.equal(parseCsvLine('"abc').ok, false);
    assert.equal(parseCsvLine('"a"b,c').ok, false);
    assert.equal(parseCsvLine('a"b,c').ok, false);
  });
});

describe('csvField', () => {
  it('quotes only what needs it and round-trips through the parser', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "x"'), '"say ""x"""');
    const record = csvRecord(['Stocks/a.us.csv', '3', '2010-01-04,"1",x', 'reason']);
    assert.deepEqual(parseCsvLine(record.trimEnd()), { ok: true, fields: ['Stocks/a.us.csv', '3', '2010-01-04,"1",x', 'reason'] });
  });
});
