import type { Logger } from '../ports/logger';
import type { Notifier } from '../ports/notifier';
import type { ObjectStore } from '../ports/object-store';
import type { StepResultStore } from '../ports/step-results';
import type { StepTracker } from '../ports/step-tracker';
import type { LoadMode, StockTable } from '../ports/stock-table';
import type { Shard } from './shard';

export interface Identity {
  cohort: string;
  firstName: string;
  surname: string;
}

export interface ProgressEvent {
  step: string;
  done: number;
  total: number;
  rows: number;
}

/** Everything a pipeline step may touch, handed in by whoever runs it (CLI, runner, tests). */
export interface PipelineContext {
  runId: string;
  source: ObjectStore;
  stocks: StockTable;
  results: StepResultStore;
  notifier: Notifier;
  identity: Identity;
  /** The identity as operators last set it (control panel), when it can change at run time. */
  resolveIdentity?: () => Promise<Identity>;
  /** How many source files are read at once. */
  concurrency: number;
  log: Logger;
  onProgress?: (event: ProgressEvent) => void;
  /** Aborted when the run is cancelled or the step times out; steps stop at the next file. */
  signal?: AbortSignal;
  /** Records each step's try, log and progress in the run history (engines that do not record tries themselves). */
  tracker?: StepTracker;
  /** Reads of one source file before the run fails, and the wait before the second (doubling after). */
  fileRead?: { attempts: number; backoffMs: number };
  /** Another run's files under Output/runs/ untouched this long are removed (default 1 h; output-layout.ts). */
  staleOutputAfterMs?: number;
  /** How the load treats companies outside the batch (the run's conf `load_mode`; default companies). Fixed by discover. */
  loadMode?: LoadMode;
  /** Shards the run's conf asks for (`shards`); else discover decides from the batch size. */
  shards?: number;
  /** Read every listed file, unchanged ones too (conf `full`, `--full`). */
  full?: boolean;
  /** The shard a transform or load step works on (`--shard i/N`); absent: the whole batch. */
  shard?: Shard;
  /** Where `stockflow run` keeps its output on a remote store until it is sent whole (default: the OS's temporary folder). */
  spoolDir?: string;
}

/** Fixed layout of the source bucket (the seed's names); the Output/ names are published ones (output-layout.ts). */
export const KEYS = {
  stocksPrefix: 'Stocks/',
  companyList: 'CompanyNames/top_companies.txt',
  output: 'Output/historical_stock_data.csv',
  rejects: 'Output/rejects.csv',
  manifest: 'Output/manifest.json',
  /** Present when the source holds stockflow's synthetic demo data (seed --synthetic); seed --from replaces such a source. */
  demoMarker: 'CompanyNames/DEMO_DATA.txt',
} as const;

export class StepInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepInputError';
  }
}
