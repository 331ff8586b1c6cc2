import type { StepRecord } from '../ports/step-results';
import type { CompanyChange, DataChanges, LoadResult } from '../ports/stock-table';
import { parseStepKey } from './shard';
import type { Manifest } from './transform';

// As many as one load lists (adapters/data-changes.ts) and as many first rejects as one transform keeps.
const LISTED_COMPANY_CHANGES = 1000;
const FIRST_REJECTS_KEPT = 20;

/** The most changed first, ties by name: the order a run's company changes are listed in. */
const byMostChanged = (a: CompanyChange, b: CompanyChange): number => {
  const weight = (change: CompanyChange): number => change.added + change.changed + change.removed;
  return weight(b) - weight(a) || (a.company < b.company ? -1 : a.company > b.company ? 1 : 0);
};

/** How a step of a run stands when its shards are taken together. */
export type ShardedStepState<T> = { status: 'success'; results: T[] } | { status: 'failed'; key: string; error: string } | { status: 'missing'; key: string };

/**
 * The recorded shards of one step (`load[1/3]`, `load[2/3]`, ...) for a run of `count` shards:
 * success only when every shard succeeded; else the first failed or missing shard.
 */
export function shardedStep<T>(records: readonly StepRecord[], step: string, count: number): ShardedStepState<T> {
  const byIndex = new Map<number, StepRecord>();
  for (const record of records) {
    const { step: name, shard } = parseStepKey(record.step);
    if (name === step && shard?.count === count) byIndex.set(shard.index, record);
  }
  const results: T[] = [];
  for (let index = 1; index <= count; index += 1) {
    const record = byIndex.get(index);
    const key = `${step}[${index}/${count}]`;
    if (!record) return { status: 'missing', key };
    if (record.status === 'failed') return { status: 'failed', key, error: record.error ?? 'unknown error' };
    results.push(record.result as T);
  }
  return { status: 'success', results };
}

/** The shards' manifests as one, as if one transform had read the whole batch. */
export function mergeManifests(manifests: readonly Manifest[], keys: Pick<Manifest, 'outputKey' | 'rejectsKey'>): Manifest {
  const first = manifests[0]!;
  const sum = (field: keyof Manifest['totals']): number => manifests.reduce((total, manifest) => total + manifest.totals[field], 0);
  const startedAt = manifests.map((manifest) => manifest.startedAt).sort()[0]!;
  const finishedAt = manifests
    .map((manifest) => manifest.finishedAt)
    .sort()
    .at(-1)!;
  return {
    runId: first.runId,
    ...keys,
    companies: manifests.flatMap((manifest) => manifest.companies).sort(),
    files: manifests.flatMap((manifest) => manifest.files).sort((a, b) => (a.company < b.company ? -1 : 1)),
    totals: {
      files: sum('files'),
      filesEmpty: sum('filesEmpty'),
      filesFailed: sum('filesFailed'),
      rowsRead: sum('rowsRead'),
      rowsKept: sum('rowsKept'),
      rowsRejected: sum('rowsRejected'),
      warnings: sum('warnings'),
    },
    firstRejects: manifests.flatMap((manifest) => manifest.firstRejects).slice(0, FIRST_REJECTS_KEPT),
    ...(manifests.some((manifest) => manifest.unchanged)
      ? {
          unchanged: {
            files: manifests.reduce((total, manifest) => total + (manifest.unchanged?.files ?? 0), 0),
            rows: manifests.reduce((total, manifest) => total + (manifest.unchanged?.rows ?? 0), 0),
          },
        }
      : {}),
    demo: first.demo,
    loadMode: first.loadMode,
    startedAt,
    finishedAt,
    durationMs: Date.parse(finishedAt) - Date.parse(startedAt),
  };
}

/** The shards' loads as one: counts add up, changes are listed together. */
export function mergeLoadResults(shardResults: readonly LoadResult[]): LoadResult {
  // A shard whose rows another shard's load took (a run loaded as one) adds nothing of its own.
  const loaded = shardResults.filter((result) => result.loadedWith === undefined);
  const results = loaded.length > 0 ? loaded : shardResults;
  const first = results[0]!;
  const sum = (pick: (result: LoadResult) => number): number => results.reduce((total, result) => total + pick(result), 0);
  return {
    rowsLoaded: sum((result) => result.rowsLoaded),
    rowsReplaced: sum((result) => result.rowsReplaced),
    companies: sum((result) => result.companies),
    strategy: results.some((result) => result.strategy === 'bulk') ? 'bulk' : 'incremental',
    ...(results.every((result) => result.rowsWritten !== undefined) ? { rowsWritten: sum((result) => result.rowsWritten!) } : {}),
    mode: first.mode,
    companiesRemoved: sum((result) => result.companiesRemoved),
    changes: mergeDataChanges(results.map((result) => result.changes)),
  };
}

function mergeDataChanges(parts: readonly DataChanges[]): DataChanges {
  const totals = { added: 0, changed: 0, removed: 0, unchanged: 0, companiesAdded: 0, companiesRemoved: 0 };
  for (const part of parts) for (const field of Object.keys(totals) as Array<keyof typeof totals>) totals[field] += part.totals[field];
  const companies = parts.flatMap((part) => part.companies).sort(byMostChanged);
  const unlisted = parts.reduce((total, part) => total + part.moreCompanies, 0);
  return { totals, companies: companies.slice(0, LISTED_COMPANY_CHANGES), moreCompanies: unlisted + Math.max(0, companies.length - LISTED_COMPANY_CHANGES) };
}
