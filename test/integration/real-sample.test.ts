import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { migrate } from '../../server/db/migrate';
import { runPipeline } from '../../server/pipeline/run-pipeline';
import { seedFromFolder } from '../../server/seed/from-folder';
import { pipelineContext } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';

const SAMPLE = resolve(process.env.STOCKFLOW_SAMPLE_DIR ?? '../shared/data');
const present = existsSync(join(SAMPLE, 'stocks')) && existsSync(join(SAMPLE, 'top_companies.txt'));

/**
 * An independent computation over the sample: plain string handling and BigInt sums in units
 * of 10^-6, sharing no code with the pipeline.
 */
function independentTotals(folder: string) {
  const toMicros = (text: string): bigint => {
    const [whole, fraction = ''] = text.split('.');
    return BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
  };
  let rows = 0;
  let emptyFiles = 0;
  let zeroOpens = 0;
  let valueChangeMicros = 0n;
  let volume = 0n;
  const listed = readFileSync(join(folder, 'top_companies.txt'), 'utf8')
    .split(',')
    .map((name) => name.trim().replace(/'/g, ''));
  for (const file of listed) {
    const lines = readFileSync(join(folder, 'stocks', file), 'utf8')
      .split(/\r?\n/)
      .filter((line) => line !== '');
    const data = lines.filter((line) => !line.startsWith('Date,'));
    if (data.length === 0) emptyFiles += 1;
    for (const line of data) {
      const [, open, , , close, vol] = line.split(',');
      rows += 1;
      if (toMicros(open!) === 0n) zeroOpens += 1;
      valueChangeMicros += toMicros(close!) - toMicros(open!);
      volume += BigInt(vol!);
    }
  }
  return { listed: listed.length, rows, emptyFiles, zeroOpens, valueChangeMicros, volume };
}

describe('the real sample (../shared/data) through s3rver into PostgreSQL', { skip: present ? false : `no sample at ${SAMPLE}` }, () => {
  let database: TestDatabase;
  let s3: TestS3;
  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('real'), startTestS3()]);
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
    await s3?.close();
  });

  it('loads every row of the 1000 files, with totals matching an independent computation', { timeout: 300_000 }, async () => {
    const expected = independentTotals(SAMPLE);
    assert.equal(readdirSync(join(SAMPLE, 'stocks')).length, 1000);
    const store = await s3.store('real-sample');
    await seedFromFolder(store, SAMPLE);
    const summary = await runPipeline(pipelineContext(database.pool, store, 'real-1'));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    assert.deepEqual(summary.files, { listed: expected.listed, found: 1000, missing: 0, empty: expected.emptyFiles, failed: 0, unchanged: 0, appended: 0 });
    assert.deepEqual(summary.rows, { read: expected.rows, loaded: expected.rows, rejected: 0 });
    assert.equal(summary.warnings, expected.zeroOpens);

    const totals = await database.pool.query<{ rows: string; companies: string; value_change: string; volume: string; null_percent: string; percent_mismatch: string }>(`
      SELECT count(*) AS rows, count(DISTINCT company_name) AS companies,
             round(sum(value_change) * 1000000)::text AS value_change, sum(volume_traded)::text AS volume,
             count(*) FILTER (WHERE daily_percent_change IS NULL) AS null_percent,
             count(*) FILTER (WHERE open_value <> 0 AND daily_percent_change <> round((close_value - open_value) / open_value * 100, 6)) AS percent_mismatch
        FROM historical_stocks_data`);
    const row = totals.rows[0]!;
    assert.equal(Number(row.rows), expected.rows);
    assert.equal(Number(row.companies), 1000 - expected.emptyFiles);
    assert.equal(row.value_change, expected.valueChangeMicros.toString());
    assert.equal(row.volume, expected.volume.toString());
    assert.equal(Number(row.null_percent), expected.zeroOpens);
    assert.equal(Number(row.percent_mismatch), 0);
  });
});
