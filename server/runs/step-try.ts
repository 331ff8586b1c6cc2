import type { PipelineContext, ProgressEvent } from '../pipeline/context';
import type { Shard } from '../pipeline/shard';
import { runStep, stepKeyOf, type StepName } from '../pipeline/steps';
import type { Logger } from '../ports/logger';
import type { StepResultStore } from '../ports/step-results';
import type { RunRepository } from './run-repository';
import { TaskTry } from './task-try';

export type StepOutcome = 'success' | 'failed' | 'cancelled';

export interface StepTryOptions {
  runs: RunRepository;
  results: StepResultStore;
  runId: string;
  step: StepName;
  /** The shard a transform or load try works on; its try is recorded under the shard's step key. */
  shard?: Shard;
  contextFor(log: Logger, onProgress: (event: ProgressEvent) => void, signal: AbortSignal): PipelineContext;
  timeoutMs: number;
  /** Which try this is and how many there may be (a failed try with tries left is up_for_retry). */
  tryNumber?: number;
  maxTries: number;
  /** Where the try's log lines are echoed too (the worker's log, or the Airflow task log). */
  echo?: Logger;
  /** Aborts the try from outside (the worker shutting down, a SIGTERM): the try fails and is not retried here. */
  signal?: AbortSignal;
  cancelPollMs?: number;
}

export interface StepTryResult {
  outcome: StepOutcome;
  error: string | null;
  /** Whether the engine should try again. */
  retrying: boolean;
  tryNumber: number;
}

/**
 * Runs one try of one step, recorded in the run history: a timeout, an operator's cancel (polled
 * from stockflow.runs, so it reaches a step in any process) and live progress. Shared by the
 * embedded runner and `stockflow step`.
 */
export async function runStepTry(options: StepTryOptions): Promise<StepTryResult> {
  const { runs, runId, timeoutMs, maxTries } = options;
  const step = stepKeyOf(options, options.step);
  const task = await TaskTry.begin(runs, runId, step, { tryNumber: options.tryNumber, echo: options.echo });
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(new StepTimeoutError(step, timeoutMs)), timeoutMs);
  const cancelWatch = setInterval(() => {
    void runs.isCancelRequested(runId).then(
      (requested) => requested && controller.abort(new RunCancelledError()),
      () => {},
    );
  }, options.cancelPollMs ?? 500);
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => {});
  try {
    task.log.log('info', `${step}: try ${task.tryNumber} of ${maxTries} started`);
    await Promise.race([runStep({ ...options.contextFor(task.log, task.onProgress, controller.signal), shard: options.shard }, options.step), aborted]);
    task.log.log('info', `${step}: done`);
    await task.finish('success', null);
    return { outcome: 'success', error: null, retrying: false, tryNumber: task.tryNumber };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const cancelled = error instanceof RunCancelledError;
    // Stopped from outside (worker shutdown, SIGTERM from Airflow): failed, and not ours to retry.
    const stoppedFromOutside = options.signal?.aborted === true;
    const retrying = !cancelled && !stoppedFromOutside && task.tryNumber < maxTries;
    // runStep logged the step's own error already; a timeout or cancel did not go through it.
    if (controller.signal.aborted) task.log.log('error', `${step}: ${message}`);
    await task.finish(cancelled ? 'cancelled' : retrying ? 'up_for_retry' : 'failed', message);
    if (controller.signal.aborted) {
      // The step lost the race to its timeout or a cancel: record its failure now, whatever it
      // still does in the background (it stops at its next file).
      const now = new Date().toISOString();
      await options.results.save({ runId, step, status: 'failed', startedAt: now, finishedAt: now, result: null, error: message });
    }
    return { outcome: cancelled ? 'cancelled' : 'failed', error: message, retrying, tryNumber: task.tryNumber };
  } finally {
    clearTimeout(timeout);
    clearInterval(cancelWatch);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

export class StepTimeoutError extends Error {
  constructor(step: string, ms: number) {
    super(`${step} timed out after ${Math.round(ms / 1000)} s`);
    this.name = 'StepTimeoutError';
  }
}

export class RunCancelledError extends Error {
  constructor() {
    super('cancelled by an operator');
    this.name = 'RunCancelledError';
  }
}
