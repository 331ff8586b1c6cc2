import type { StepRecord } from '../ports/step-results';
import type { DataChanges, LoadMode, LoadResult } from '../ports/stock-table';
import { KEYS } from './context';
import type { DiscoveryResult } from './discover';
import { fileCounts } from './shard-file-lists';
import { mergeLoadResults, mergeManifests, shardedStep } from './shard-merge';
import type { Manifest } from './transform';
import { appendedCompaniesOf } from './unchanged-files';

/** What `stockflow run --json` prints and what the notification reports. */
export interface RunSummary {
  runId: string;
  status: 'success' | 'failed';
  /**
   * unchanged: found, but not read (the table holds their rows already; unchanged-files.ts).
   * appended: read, but only gained rows since loaded: only their new rows were loaded.
   */
  files: { listed: number; found: number; missing: number; empty: number; failed: number; unchanged: number; appended: number };
  rows: { read: number; loaded: number; rejected: number };
  companies: number;
  durationMs: number;
  /** The failed step and its error, when the run failed. */
  error: { step: string; message: string } | null;
  warnings: number;
  firstRejects: Manifest['firstRejects'];
  /** How the load treated companies outside the batch (from discover, so known before the load ends). */
  loadMode: LoadMode;
  /** The source held synthetic demo data. */
  demo: boolean;
  /** What the load changed compared with the table before it; null until a load committed. */
  changes: DataChanges | null;
  /** Companies outside the batch whose rows the load removed (replace mode, demo companies). */
  companiesRemoved: number;
}

export function resultOf<T>(records: StepRecord[], step: StepRecord['step']): T | null {
  const record = records.find((candidate) => candidate.step === step && candidate.status === 'success');
  return record ? (record.result as T) : null;
}

/** Builds the run's summary from whatever step records exist (a failed run has fewer). */
export function summarizeRun(runId: string, records: StepRecord[], now = new Date()): RunSummary {
  const discovery = resultOf<DiscoveryResult>(records, 'discover');
  const { manifest, loaded, missing } = dataOf(records, discovery?.shards ?? 1);
  const counts = discovery ? fileCounts(discovery) : { files: 0, unchanged: 0 };
  // A mail that could not be delivered is not a failed run: only the data steps decide.
  const dataSteps = records.filter((record) => record.step !== 'notify');
  const failure = dataSteps.find((record) => record.status === 'failed');
  const startedAt = records.reduce((earliest, record) => Math.min(earliest, Date.parse(record.startedAt)), now.getTime());
  const finishedAt = dataSteps.reduce((latest, record) => Math.max(latest, Date.parse(record.finishedAt)), startedAt);
  return {
    runId,
    status: failure || !loaded ? 'failed' : 'success',
    files: {
      listed: discovery?.listed ?? 0,
      found: counts.files + counts.unchanged,
      missing: discovery?.missing.length ?? 0,
      empty: manifest?.totals.filesEmpty ?? 0,
      failed: manifest?.totals.filesFailed ?? 0,
      unchanged: counts.unchanged,
      appended: manifest ? appendedCompaniesOf(manifest.files).size : 0,
    },
    rows: {
      read: manifest?.totals.rowsRead ?? 0,
      loaded: loaded?.rowsLoaded ?? 0,
      rejected: manifest?.totals.rowsRejected ?? 0,
    },
    companies: loaded?.companies ?? 0,
    durationMs: finishedAt - startedAt,
    error: failure ? { step: failure.step, message: failure.error ?? 'unknown error' } : loaded ? null : { step: missing, message: `the ${missing} step has not run` },
    warnings: manifest?.totals.warnings ?? 0,
    firstRejects: manifest?.firstRejects ?? [],
    loadMode: loaded?.mode ?? discovery?.loadMode ?? 'companies',
    demo: discovery?.demo ?? false,
    // Loads recorded before data changes were measured have none.
    changes: loaded?.changes ?? null,
    companiesRemoved: loaded?.companiesRemoved ?? 0,
  };
}

/**
 * The run's transform and load results: the whole run's, or its shards' merged once every shard
 * succeeded (a run of one shard records plain steps). `missing` names the step a run without a
 * load result lacks.
 */
export function dataOf(records: StepRecord[], shards: number): { manifest: Manifest | null; loaded: LoadResult | null; missing: string } {
  const manifest = resultOf<Manifest>(records, 'transform');
  const loaded = resultOf<LoadResult>(records, 'load');
  if (shards <= 1 || loaded) return { manifest, loaded, missing: 'load' };
  const transforms = shardedStep<Manifest>(records, 'transform', shards);
  const loads = shardedStep<LoadResult>(records, 'load', shards);
  return {
    manifest: manifest ?? (transforms.status === 'success' ? mergeManifests(transforms.results, { outputKey: KEYS.output, rejectsKey: KEYS.rejects }) : null),
    loaded: loads.status === 'success' ? mergeLoadResults(loads.results) : null,
    missing: transforms.status === 'success' ? (loads.status === 'success' ? 'load' : loads.key) : transforms.key,
  };
}
