export interface StepRecord {
  runId: string;
  /** The step's name, or a shard's step key like `load[2/3]` (pipeline/shard.ts). */
  step: string;
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
  get(runId: string, step: string): Promise<StepRecord | null>;
  list(runId: string): Promise<StepRecord[]>;
}
