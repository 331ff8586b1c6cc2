import type pg from 'pg';

import { NULLABLE, orderClause } from './data-order';
import { castOf, type DataQuery } from './data-query';

/**
 * Where a big export is cut into consecutive ranges of its order, so two connections can COPY
 * side by side (one COPY is one backend, one core). Small exports stay one range.
 */
export interface ExportSplitSettings {
  /** Exports estimated below this many rows are not cut. */
  splitAtRows: number;
  /** About this many rows a part (a few MB of CSV): small enough that parts ahead fit in memory. */
  partRows: number;
  /** Rows the table sample aims at, to place the cuts. */
  sampleRows: number;
  maxParts: number;
}

export const EXPORT_SPLIT: ExportSplitSettings = { splitAtRows: 400_000, partRows: 100_000, sampleRows: 20_000, maxParts: 64 };

/** Planner settings under which each range must be read in order from an index, never sorted whole. */
export const RANGE_SCAN_SETTINGS = ['enable_seqscan', 'enable_bitmapscan', 'enable_sort'] as const;

const SLOW_PLAN_NODES = new Set(['Seq Scan', 'Bitmap Heap Scan', 'Sort']);

/**
 * The export's parts as SQL conditions (already literal, as COPY needs), in output order: ranges
 * of the first sort column between values sampled from the table (each a plain index range, no
 * per-row cursor test), and its empty values as a part of their own (first ascending, last
 * descending, as the data page orders them). One `true` when cutting would not pay: a small
 * export, or no index gives the order (each range would scan or sort the whole table again).
 * When it returns several, the planner settings above are off for the rest of the transaction.
 */
export async function exportParts(client: pg.ClientBase, query: DataQuery, where: string, settings: ExportSplitSettings = EXPORT_SPLIT): Promise<string[]> {
  const whole = ['true'];
  const estimate = await client.query<{ rows: number }>(`SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = 'public.historical_stocks_data'::regclass`);
  const tableRows = estimate.rows[0]?.rows ?? -1;
  if (tableRows < settings.splitAtRows) return whole;
  const percent = Math.min(100, (settings.sampleRows / tableRows) * 100);
  const column = `t.${query.sort}`;
  const sample = await client.query<{ value: string | null }>(
    `SELECT ${column}::text AS value FROM public.historical_stocks_data t TABLESAMPLE SYSTEM (${percent.toFixed(6)}) WHERE ${where} ORDER BY ${column} ASC NULLS LAST`,
  );
  const estimatedRows = (sample.rows.length * 100) / percent;
  if (estimatedRows < settings.splitAtRows) return whole;
  const values = sample.rows.flatMap((row) => (row.value === null ? [] : [row.value]));
  const wanted = Math.min(settings.maxParts, Math.max(2, Math.round(estimatedRows / settings.partRows)));
  // Distinct cut values: all rows with one value of the first column fall in one part.
  const cuts = [...new Set(Array.from({ length: wanted - 1 }, (_, index) => values[Math.floor((values.length * (index + 1)) / wanted)]))].filter((cut): cut is string => cut !== undefined);
  const value = (text: string): string => `${client.escapeLiteral(text)}::${castOf(query.sort)}`;
  const ascending = Array.from({ length: cuts.length + 1 }, (_, index) =>
    [index > 0 ? `${column} >= ${value(cuts[index - 1]!)}` : null, index < cuts.length ? `${column} < ${value(cuts[index]!)}` : `${column} IS NOT NULL`]
      .filter((bound) => bound !== null)
      .join(' AND '),
  );
  const empty = NULLABLE.has(query.sort) ? [`${column} IS NULL`] : [];
  const parts = query.dir === 'asc' ? [...empty, ...ascending] : [...ascending.reverse(), ...empty];
  if (parts.length < 2) return whole;
  for (const setting of RANGE_SCAN_SETTINGS) await client.query(`SET LOCAL ${setting} = off`);
  const plan = await client.query<{ 'QUERY PLAN': unknown }>(
    `EXPLAIN (FORMAT JSON) SELECT 1 FROM public.historical_stocks_data t WHERE ${where} AND ${parts[Math.floor(parts.length / 2)]} ORDER BY ${orderClause(query)}`,
  );
  if (!planNodes(plan.rows[0]?.['QUERY PLAN']).some((node) => SLOW_PLAN_NODES.has(node))) return parts;
  for (const setting of RANGE_SCAN_SETTINGS) await client.query(`SET LOCAL ${setting} TO DEFAULT`);
  return whole;
}

/** Every node type of an EXPLAIN (FORMAT JSON) plan. */
function planNodes(plan: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record['Node Type'] === 'string') found.push(record['Node Type']);
      visit(record.Plan);
      visit(record.Plans);
    }
  };
  visit(plan);
  return found;
}
