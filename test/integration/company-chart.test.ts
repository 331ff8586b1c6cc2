import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { migrate } from '../../server/db/migrate';
import { type ChartPoint, loadCompanyChart } from '../../server/read-models/company-chart';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { insertStockSample } from '../helpers/stock-sample';

interface Day {
  stock_date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  percent: number | null;
}

/** The expected candles, computed here from the raw rows: consecutive days cut into `count` near-equal buckets (larger ones first). */
function bucketsOf(days: Day[], count: number): ChartPoint[] {
  const size = Math.floor(days.length / count);
  const larger = days.length % count;
  const points: ChartPoint[] = [];
  let start = 0;
  for (let index = 0; index < count; index += 1) {
    const group = days.slice(start, start + size + (index < larger ? 1 : 0));
    start += group.length;
    const percents = group.map((day) => day.percent).filter((value): value is number => value !== null);
    points.push({
      first: group[0]!.stock_date,
      last: group[group.length - 1]!.stock_date,
      days: group.length,
      open: group[0]!.open,
      high: Math.max(...group.map((day) => day.high)),
      low: Math.min(...group.map((day) => day.low)),
      close: group[group.length - 1]!.close,
      volume: group.reduce((sum, day) => sum + day.volume, 0),
      percentMin: percents.length ? Math.min(...percents) : null,
      percentMax: percents.length ? Math.max(...percents) : null,
    });
  }
  return points;
}

describe('the company chart read model', () => {
  let database: TestDatabase;
  let days: Day[];
  before(async () => {
    database = await createTestDatabase('companychart');
    await migrate(database.pool);
    await insertStockSample(database.pool);
    // Highs and lows that differ day to day, so a bucket's max/min is not any one day's value by accident.
    await database.pool.query(
      "UPDATE historical_stocks_data SET high_value = close_value + (extract(day FROM stock_date)::int % 4), low_value = greatest(close_value - (extract(day FROM stock_date)::int % 3), 0) WHERE company_name = 'ab'",
    );
    const result = await database.pool.query(
      `SELECT stock_date::text, open_value::float8 AS open, high_value::float8 AS high, low_value::float8 AS low, close_value::float8 AS close,
              volume_traded::float8 AS volume, daily_percent_change::float8 AS percent
         FROM historical_stocks_data WHERE company_name = 'ab' ORDER BY stock_date`,
    );
    days = result.rows as Day[];
  });
  after(async () => {
    await database?.drop();
  });

  it('sends every day as its own candle when the range fits', async () => {
    const chart = (await loadCompanyChart(database.pool, 'ab', {}))!;
    assert.equal(chart.downsampled, false);
    assert.deepEqual(chart.points, bucketsOf(days, days.length));
    assert.ok(chart.points.every((point) => point.days === 1 && point.first === point.last));
  });

  for (const count of [50, 41, 299]) {
    it(`cuts the days into ${count} buckets with first/last day, open, high, low, close, volume sum and percent range`, async () => {
      const chart = (await loadCompanyChart(database.pool, 'ab', { points: String(count) }))!;
      assert.equal(chart.downsampled, true);
      assert.equal(chart.points.length, count);
      assert.deepEqual(chart.points, bucketsOf(days, count));
      assert.equal(
        chart.points.reduce((sum, point) => sum + point.days, 0),
        days.length,
      );
    });
  }

  it('limits to a date range and reports an impossible date instead of failing', async () => {
    const inRange = days.filter((day) => day.stock_date >= '2017-03-01' && day.stock_date <= '2017-05-31');
    const chart = (await loadCompanyChart(database.pool, 'ab', { from: '2017-03-01', to: '2017-05-31' }))!;
    assert.equal(chart.stats.rows, inRange.length);
    assert.deepEqual(chart.points, bucketsOf(inRange, inRange.length));
    const bad = (await loadCompanyChart(database.pool, 'ab', { from: '2026-02-31', to: '2017-05-31' }))!;
    assert.deepEqual(Object.keys(bad.problems), ['from']);
    assert.equal(bad.to, '2017-05-31', 'the good bound stays applied');
    assert.equal(bad.stats.rows, days.filter((day) => day.stock_date <= '2017-05-31').length);
    assert.equal(await loadCompanyChart(database.pool, 'nope', {}), null);
  });
});
