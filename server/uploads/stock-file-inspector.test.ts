import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import Papa from 'papaparse';

import { deriveRow } from '../pipeline/derive-row';
import { inspectCompanyList } from './company-list-inspector';
import { StockFileInspector } from './stock-file-inspector';

/** As the Upload page reads a file: papaparse records into the inspector. */
function inspect(text: string) {
  const inspector = new StockFileInspector();
  for (const record of Papa.parse<string[]>(text, { delimiter: ',' }).data) inspector.addRecord(record);
  return inspector.finish();
}

const FILE = [
  'Date,Open,High,Low,Close,Volume,OpenInt',
  '2020-01-02,1,2,0.5,1.5,100,0',
  '2020-01-03,x,2,0.5,1.5,100,0',
  '',
  '2020-02-30,1,2,0.5,1.5,100,0',
  '2020-01-04,1,2,0.5',
  '2020-01-02,1,2,0.5,1.5,100,0',
  '2020-01-05,0,2,0.5,1.5,100,0',
  '2020-01-06,1,2,0.5,1.5,1\u0007,0',
  '"2020-01-07",1,2,0.5,1.5,100,0',
].join('\r\n');

describe('StockFileInspector', () => {
  it('marks the rows the pipeline rejects, with line, field and reason', () => {
    const result = inspect(FILE);
    assert.equal(result.blockedReason, null);
    assert.deepEqual(result.header, { ok: true, note: null });
    assert.equal(result.rowCount, 8);
    assert.deepEqual(
      result.badRows.map(({ line, field }) => [line, field]),
      [
        [3, 'Open'],
        [5, 'Date'],
        [6, 'row'],
        [7, 'Date'],
        [9, 'row'],
      ],
    );
    assert.match(result.badRows[3]!.reason, /duplicate Date 2020-01-02 \(first at line 2\)/);
    assert.deepEqual(
      result.firstRows.map((row) => row[0]),
      ['2020-01-02', '2020-01-05', '2020-01-07'],
    );
    assert.ok(result.warnings.some((warning) => /5 of 8 rows are bad/.test(warning)));
    assert.ok(result.warnings.some((warning) => /1 rows with Open = 0/.test(warning)));
    // The same verdict line by line as the pipeline's own row rule (duplicates are a file-level rule).
    const lines = FILE.split('\r\n');
    const rejectedByPipeline = lines.flatMap((line, index) => (index > 0 && line !== '' && !deriveRow(line).ok ? [index + 1] : []));
    assert.deepEqual(
      rejectedByPipeline,
      result.badRows.filter((row) => !/duplicate/.test(row.reason)).map((row) => row.line),
    );
  });

  it('blocks a file whose first line is a foreign header, and reads a headerless file as data', () => {
    const wrong = inspect('Day,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100,0\n');
    assert.equal(wrong.header.ok, false);
    assert.match(wrong.blockedReason!, /^header: expected Date,Open,High,Low,Close,Volume,OpenInt, found "Day,Open/);
    const headerless = inspect('\uFEFF2020-01-02,1,2,0.5,1.5,100,0\n');
    assert.equal(headerless.blockedReason, null);
    assert.equal(headerless.rowCount, 1);
    assert.match((headerless.header as { note: string }).note, /No header/);
  });

  it('counts a quoted line break as the lines the pipeline sees', () => {
    const result = inspect('Date,Open,High,Low,Close,Volume,OpenInt\n"2020-01-02\n",1,2,0.5,1.5,100,0\n2020-01-03,1,2,0.5,1.5,100,0\nbad\n');
    assert.deepEqual(
      result.badRows.map(({ line, field }) => [line, field]),
      [
        [2, 'row'],
        [5, 'row'],
      ],
    );
    assert.match(result.badRows[0]!.reason, /runs over lines 2-3; the pipeline rejects line 2/);
  });
});

describe('inspectCompanyList', () => {
  it('lists the companies and marks entries that name none', () => {
    const result = inspectCompanyList("'aapl.us.csv', 'msft.us.csv', 'aapl.us.csv', '../etc'\n");
    assert.equal(result.blockedReason, null);
    assert.equal(result.rowCount, 2);
    assert.deepEqual(
      result.firstRows.map((row) => row[0]),
      ['aapl', 'msft'],
    );
    assert.deepEqual(
      result.badRows.map(({ line, field }) => [line, field]),
      [[1, 'name']],
    );
    assert.ok(result.warnings.some((warning) => /listed twice/.test(warning)));
  });

  it('blocks a stock file dropped as the company list', () => {
    assert.match(inspectCompanyList('Date,Open,High,Low,Close,Volume,OpenInt\n').blockedReason!, /stock file/);
  });
});
