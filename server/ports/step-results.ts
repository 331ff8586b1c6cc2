import type { StepName } from '../pipeline/steps';

export interface StepRecord {
  runId: string;
  step: StepName;
  status: 'success' | 'failed';
  startedAt: string;
  finishedAt: string;
  /** The step's result object (JSON) when it succeeded. */
  result: unknown;
  error: string | null;
}

/** Where one step leaves its result for the next, so steps can run as separate processes. */
export interface StepResultStore {
  save(record: StepRecord): Promise<void>;
  get(runId: string, step: StepName): Promise<StepRecord | null>;
  list(runId: string): Promise<StepRecord[]>;
}
