import type { ProgressEvent } from '../pipeline/context';
import type { Logger } from '../ports/logger';
import type { TaskStatus } from '../ports/orchestrator';
import type { StepTracker } from '../ports/step-tracker';
import type { RunRepository } from './run-repository';
import { TaskLogWriter } from './task-log-writer';

const PROGRESS_EVERY_MS = 300;

/**
 * One try of one step as the run history records it: a task_runs row, its log lines in
 * task_logs, throttled progress counters and the final status. Whoever executes the step (the
 * embedded runner, `stockflow step` inside an Airflow task, `stockflow run`) records it this way,
 * so the panel shows every run alike.
 */
export class TaskTry {
  readonly log: TaskLogWriter;
  private lastProgressAt = 0;
  private lastEvent: ProgressEvent | null = null;
  private lastWritten: ProgressEvent | null = null;
  // Writes go one after another: out of order, an older count could land last (a finished step showing 184/201).
  private progressWrites: Promise<void> = Promise.resolve();

  private constructor(
    private readonly runs: RunRepository,
    readonly runId: string,
    readonly step: string,
    readonly tryNumber: number,
    echo?: Logger,
  ) {
    this.log = new TaskLogWriter(runs, runId, step, tryNumber, echo);
  }

  /** Opens a try: the next free try number unless the engine names one (Airflow's ti.try_number). */
  static async begin(runs: RunRepository, runId: string, step: string, options: { tryNumber?: number; echo?: Logger } = {}): Promise<TaskTry> {
    const tryNumber = options.tryNumber ?? (await runs.nextTryNumber(runId, step));
    await runs.startTask(runId, step, tryNumber);
    return new TaskTry(runs, runId, step, tryNumber, options.echo);
  }

  /** Progress for the panel; at most a few writes a second, but always the last one. */
  readonly onProgress = (event: ProgressEvent): void => {
    this.lastEvent = event;
    const now = Date.now();
    if (now - this.lastProgressAt < PROGRESS_EVERY_MS && event.done < event.total) return;
    this.lastProgressAt = now;
    this.writeProgress(event);
  };

  private writeProgress(event: ProgressEvent): void {
    this.lastWritten = event;
    this.progressWrites = this.progressWrites.then(() => this.runs.updateProgress(this.runId, this.step, this.tryNumber, { done: event.done, total: event.total, rows: event.rows })).catch(() => {});
  }

  /** Flushes the log, then records how the try ended. */
  async finish(status: Exclude<TaskStatus, 'queued' | 'running' | 'skipped'>, error: string | null): Promise<void> {
    // The step's last count is what it ended on, even when the throttle held it back.
    if (this.lastEvent && this.lastEvent !== this.lastWritten) this.writeProgress(this.lastEvent);
    await this.progressWrites;
    await this.log.close();
    await this.runs.finishTask(this.runId, this.step, this.tryNumber, status, error);
  }
}

/** A StepTracker that records each step of a one-process run (`stockflow run`) as a task try. */
export function runHistoryTracker(runs: RunRepository, runId: string, echo?: Logger): StepTracker {
  return {
    async begin(step) {
      const task = await TaskTry.begin(runs, runId, step, { echo });
      task.log.log('info', `${step}: started`);
      return {
        log: task.log,
        onProgress: task.onProgress,
        end: (status, error) => task.finish(status, error),
      };
    },
  };
}
