import type { ProgressEvent } from '../pipeline/context';
import type { Logger } from './logger';

/** One step's try as the run history sees it: its log, its progress and how it ended. */
export interface TrackedStep {
  log: Logger;
  onProgress(event: ProgressEvent): void;
  end(status: 'success' | 'failed', error: string | null): Promise<void>;
}

/** Records the steps of a run executed in one process (`stockflow run`) in the run history. */
export interface StepTracker {
  begin(step: string): Promise<TrackedStep>;
}
