import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { companyOfFileName, parseCompanyList } from './company-list';

describe('parseCompanyList', () => {
  it("reads the seed's single line of quoted file names", () => {
    const parsed = parseCompanyList("'tmusp.us.csv', 'mcv.us.csv', 'gs_i-cl.us.csv'\n");
    assert.deepEqual(
      parsed.companies.map((entry) => entry.company),
      ['tmusp', 'mcv', 'gs_i-cl'],
    );
    assert.equal(parsed.duplicates.length, 0);
    assert.equal(parsed.invalid.length, 0);
  });

  it('reads one name per line, quoted or not, with or without the ending, and CRLF', () => {
    const parsed = parseCompanyList('\uFEFFaapl\r\n"msft.us.csv"\r\n\'ge\'\r\nIBM.us.txt\r\n\r\n');
    assert.deepEqual(
      parsed.companies.map((entry) => entry.company),
      ['aapl', 'msft', 'ge', 'ibm'],
    );
    assert.deepEqual(
      parsed.companies.map((entry) => entry.line),
      [1, 2, 3, 4],
    );
  });

  it('reports duplicates and names that cannot be companies, without failing', () => {
    const parsed = parseCompanyList("'a.us.csv', 'b.us.csv', 'a.us.csv'\n../etc/passwd\n'has space.us.csv'\n");
    assert.deepEqual(
      parsed.companies.map((entry) => entry.company),
      ['a', 'b'],
    );
    assert.deepEqual(
      parsed.duplicates.map((entry) => entry.company),
      ['a'],
    );
    assert.equal(parsed.invalid.length, 2);
    assert.equal(parsed.invalid[0]!.line, 2);
  });

  it('takes the company from the file name up to its first dot', () => {
    assert.equal(companyOfFileName('Stocks/tmusp.us.csv'), 'tmusp');
    assert.equal(companyOfFileName('abc'), 'abc');
  });
});
