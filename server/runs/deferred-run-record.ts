import type { PipelineContext } from '../pipeline/context';
import { NOTIFY_STEP, runStep } from '../pipeline/steps';
import type { Logger } from '../ports/logger';
import type { StepRecord, StepResultStore } from '../ports/step-results';
import type { StepTracker, TrackedStep } from '../ports/step-tracker';
import { isDatabaseUnavailable, isOutageMessage, retryWhileUnavailable, type WaitOptions } from './outage';
import { finishRecordedRun, type RunEnding, type runEnding } from './run-outcome';
import type { RunRepository } from './run-repository';

/**
 * How `stockflow run` records a run that one process executes from start to end. A record that
 * cannot be written because the database is away is kept here and written once it is back, so
 * the step's own error is what fails the step (not "cannot connect" from recording it), and the
 * run's outcome is known, and printed, even while the database is down. Everything the run reads
 * back comes from what it saved itself (no one else writes this run's steps).
 */
export class DeferredRunRecord {
  /** Writes that failed for lack of a database, in order; keyed, so only the latest of each is replayed. */
  private readonly pending = new Map<string, () => Promise<void>>();
  private readonly saved = new Map<string, StepRecord>();
  private tries = 0;

  constructor(private readonly stored: StepResultStore) {}

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Step results: written through when possible, read from this process's own records. */
  readonly results: StepResultStore = {
    save: async (record) => {
      this.saved.set(record.step, record);
      await this.attempt(`result ${record.step}`, () => this.stored.save(this.saved.get(record.step)!));
    },
    get: async (runId, step) => this.saved.get(step) ?? (await this.stored.get(runId, step)),
    list: async (runId) => {
      // A run id given again (--run-id) may have older records: ours win.
      const earlier = await this.stored.list(runId).catch((error: unknown) => {
        if (isDatabaseUnavailable(error)) return [];
        throw error;
      });
      const merged = new Map(earlier.map((record) => [record.step, record]));
      for (const [step, record] of this.saved) merged.set(step, record);
      return [...merged.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    },
  };

  /** Records each step's try through `recorder`; a try that cannot be opened or closed now is recorded later. */
  tracker(recorder: StepTracker, fallbackLog: Logger): StepTracker {
    return {
      begin: async (step) => {
        const key = `try ${step} #${(this.tries += 1)}`;
        let tracked: TrackedStep;
        try {
          tracked = await recorder.begin(step);
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw error;
          return {
            log: fallbackLog,
            onProgress: () => {},
            end: async (status, message) => {
              this.pending.set(key, async () => (await recorder.begin(step)).end(status, message));
            },
          };
        }
        return { log: tracked.log, onProgress: tracked.onProgress, end: (status, message) => this.attempt(key, () => tracked.end(status, message)) };
      },
    };
  }

  /**
   * Once the run is over: writes what waited for the database, mails the outcome if notify could
   * not (its outbox is in the database), then records how the run ended.
   */
  async finish(runs: RunRepository, context: PipelineContext, interruption: Parameters<typeof runEnding>[1], options: WaitOptions): Promise<RunEnding> {
    await this.flush(options);
    const notified = this.saved.get(NOTIFY_STEP);
    if (notified?.status === 'failed' && isOutageMessage(notified.error)) {
      // Recorded like the first try; a mail the channel refuses stays in the outbox for the dispatcher.
      await runStep(context, NOTIFY_STEP).catch(() => {});
      await this.flush(options);
    }
    const { ending } = await retryWhileUnavailable(() => finishRecordedRun(runs, this.results, context.runId, interruption), options);
    return ending;
  }

  /** Writes what is pending, in order, waiting for the database as `options` allow. */
  async flush(options: WaitOptions): Promise<void> {
    for (const [key, write] of [...this.pending]) {
      await retryWhileUnavailable(write, options);
      this.pending.delete(key);
    }
  }

  private async attempt(key: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.pending.set(key, write);
    }
  }
}
