import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';

import { csvField, csvRecord, LineSplitter, parseCsvLine, readAllLines, type SourceLine } from './csv';

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

  it('reports a line over the limit with its length and start, holding at most the limit meanwhile, in linear time', () => {
    const lines: SourceLine[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 1000);
    let held = 0;
    const push = (text: string): void => {
      splitter.push(Buffer.from(text));
      held = Math.max(held, splitter.buffered);
    };
    push('short\n');
    // 64 MiB in 16 KiB chunks: searching the whole held line at every chunk (as before) takes minutes.
    const chunk = 'x'.repeat(16 * 1024);
    const started = Date.now();
    for (let index = 0; index < 4096; index += 1) push(chunk);
    push('\nnext\n' + 'y'.repeat(1001));
    splitter.end();
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.ok(held <= 1001, `held ${held} characters`);
    assert.deepEqual(
      lines.map((line) => [line.number, line.text.length, line.overLimit]),
      [
        [1, 5, undefined],
        [2, 1000, 4096 * 16 * 1024],
        [3, 4, undefined],
        [4, 1000, 1001],
      ],
    );
  });

  it('keeps a line of exactly the limit', () => {
    const lines: SourceLine[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 10);
    splitter.push(Buffer.from('0123456789\r\n01234567890\n'));
    splitter.end();
    assert.deepEqual(lines, [
      { number: 1, text: '0123456789' },
      { number: 2, text: '0123456789', overLimit: 11 },
    ]);
  });

  it('gives the same lines for one big read as byte by byte (big reads are decoded in pieces; characters cut at the pieces too)', () => {
    // Multibyte characters (2, 3 and 4 bytes) at every offset around each 32 KiB piece boundary, CRLFs, and a line longer than a piece.
    const parts: string[] = [];
    for (let size = 0; size < 120_000;) {
      const line = `${'a'.repeat(size % 37)}é€😀${'b'.repeat(size % 11)}\r\n`;
      parts.push(line);
      size += Buffer.byteLength(line);
    }
    parts.push(`${'long'.repeat(20_000)}\n`, 'end');
    const bytes = Buffer.from(parts.join(''), 'utf8');
    const linesOf = (reads: Buffer[]): SourceLine[] => {
      const lines: SourceLine[] = [];
      const splitter = new LineSplitter((line) => lines.push(line), 100_000);
      for (const read of reads) splitter.push(read);
      splitter.end();
      return lines;
    };
    const byteByByte = linesOf(Array.from(bytes, (_, index) => bytes.subarray(index, index + 1)));
    assert.ok(byteByByte.length > 1000);
    assert.deepEqual(linesOf([bytes]), byteByByte);
    assert.deepEqual(linesOf([bytes.subarray(0, 40_001), bytes.subarray(40_001)]), byteByByte);
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
