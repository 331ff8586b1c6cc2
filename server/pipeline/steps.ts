import type { StepRecord } from '../ports/step-results';
import { type PipelineContext, StepInputError } from './context';
import { discover, type DiscoveryResult } from './discover';
import { load } from './load';
import { notify } from './notify';
import { resultOf } from './summary';
import { type Manifest, transform } from './transform';

/** The pipeline, one definition for every engine (CLI run, embedded runner, Airflow tasks). */
export const STEP_NAMES = ['discover', 'transform', 'load', 'notify'] as const;
export type StepName = (typeof STEP_NAMES)[number];
/** The steps that move data, in order; notify runs after them whatever happened (Airflow: all_done). */
export const DATA_STEPS = ['discover', 'transform', 'load'] as const satisfies readonly StepName[];
export const NOTIFY_STEP = 'notify' satisfies StepName;

export function isStepName(value: string): value is StepName {
  return (STEP_NAMES as readonly string[]).includes(value);
}

async function requireResult<T>(context: PipelineContext, step: StepName): Promise<T> {
  const record = await context.results.get(context.runId, step);
  const result = record ? resultOf<T>([record], step) : null;
  if (result === null) throw new StepInputError(`Run ${context.runId} has no successful ${step} step to build on`);
  return result;
}

const stepBodies: Record<StepName, (context: PipelineContext) => Promise<unknown>> = {
  discover: (context) => discover(context),
  transform: async (context) => transform(context, await requireResult<DiscoveryResult>(context, 'discover')),
  load: async (context) => load(context, await requireResult<Manifest>(context, 'transform')),
  notify: (context) => notify(context),
};

/** Runs one step and records its result (or its error) for the steps after it. */
export function runStep(context: PipelineContext, step: StepName): Promise<StepRecord> {
  return recordStep(context, step, (stepContext) => stepBodies[step](stepContext));
}

/**
 * Runs a step's body and records its result or error under the step's name; with a tracker, the
 * body logs and reports progress into that step's try in the run history.
 */
export async function recordStep(context: PipelineContext, step: StepName, body: (stepContext: PipelineContext) => Promise<unknown>): Promise<StepRecord> {
  const startedAt = new Date().toISOString();
  const tracked = await context.tracker?.begin(step);
  const stepContext: PipelineContext = tracked
    ? {
        ...context,
        log: tracked.log,
        onProgress: (event) => {
          context.onProgress?.(event);
          tracked.onProgress(event);
        },
      }
    : context;
  try {
    const result = await body(stepContext);
    // A step stopped by a timeout or a cancel may still finish in the background: its try is over
    // and recorded as failed, so a late success must not overwrite that.
    stepContext.signal?.throwIfAborted();
    const record: StepRecord = { runId: context.runId, step, status: 'success', startedAt, finishedAt: new Date().toISOString(), result, error: null };
    await context.results.save(record);
    await tracked?.end('success', null);
    return record;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    stepContext.log.log('error', `${step}: ${message}`);
    await context.results.save({ runId: context.runId, step, status: 'failed', startedAt, finishedAt: new Date().toISOString(), result: null, error: message });
    await tracked?.end('failed', message);
    throw error;
  }
}
