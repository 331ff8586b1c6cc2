import type { StepRecord } from '../ports/step-results';
import { type PipelineContext, StepInputError } from './context';
import { discover, type DiscoveryResult } from './discover';
import { load } from './load';
import { notify } from './notify';
import { loadAsOne } from './one-load';
import { isWholeRun, shardStepKey } from './shard';
import { resultOf } from './summary';
import { type Manifest, transform } from './transform';

/** The pipeline, one definition for every engine (CLI run, embedded runner, Airflow tasks). */
export const STEP_NAMES = ['discover', 'transform', 'load', 'notify'] as const;
export type StepName = (typeof STEP_NAMES)[number];
/** The steps that move data, in order; notify runs after them whatever happened (Airflow: all_done). */
export const DATA_STEPS = ['discover', 'transform', 'load'] as const satisfies readonly StepName[];
export const NOTIFY_STEP = 'notify' satisfies StepName;

/** The steps that run once per shard in a sharded run; discover and notify see the whole run. */
export const SHARDED_STEPS = ['transform', 'load'] as const satisfies readonly StepName[];

export function isStepName(value: string): value is StepName {
  return (STEP_NAMES as readonly string[]).includes(value);
}

export function isShardedStep(step: string): step is (typeof SHARDED_STEPS)[number] {
  return (SHARDED_STEPS as readonly string[]).includes(step);
}

/** The key a step records its result and try under: a shard's own (`load[2/3]`) for a sharded step. */
export function stepKeyOf(context: Pick<PipelineContext, 'shard'>, step: StepName): string {
  return isShardedStep(step) ? shardStepKey(step, context.shard) : step;
}

async function requireResult<T>(context: PipelineContext, step: StepName): Promise<T> {
  const key = stepKeyOf(context, step);
  const record = await context.results.get(context.runId, key);
  const result = record ? resultOf<T>([record], key) : null;
  if (result === null) throw new StepInputError(`Run ${context.runId} has no successful ${key} step to build on`);
  return result;
}

const stepBodies: Record<StepName, (context: PipelineContext) => Promise<unknown>> = {
  discover: (context) => discover(context),
  transform: async (context) => transform(context, await requireResult<DiscoveryResult>(context, 'discover')),
  load: async (context) => {
    const manifest = await requireResult<Manifest>(context, 'transform');
    if (isWholeRun(context.shard) || !(await requireResult<DiscoveryResult>(context, 'discover')).oneLoad) return load(context, manifest);
    return loadAsOne(context, manifest);
  },
  notify: (context) => notify(context),
};

/** Runs one step and records its result (or its error) for the steps after it. */
export function runStep(context: PipelineContext, step: StepName): Promise<StepRecord> {
  if (!isWholeRun(context.shard) && !isShardedStep(step)) {
    return Promise.reject(new StepInputError(`${step} sees the whole run: only ${SHARDED_STEPS.join(' and ')} run per shard`));
  }
  return recordStep(context, step, (stepContext) => stepBodies[step](stepContext));
}

/**
 * Runs a step's body and records its result or error under the step's name; with a tracker, the
 * body logs and reports progress into that step's try in the run history.
 */
export async function recordStep(context: PipelineContext, step: StepName, body: (stepContext: PipelineContext) => Promise<unknown>): Promise<StepRecord> {
  const startedAt = new Date().toISOString();
  const key = stepKeyOf(context, step);
  const tracked = await context.tracker?.begin(key);
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
    const record: StepRecord = { runId: context.runId, step: key, status: 'success', startedAt, finishedAt: new Date().toISOString(), result, error: null };
    await context.results.save(record);
    await tracked?.end('success', null);
    return record;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    stepContext.log.log('error', `${key}: ${message}`);
    await context.results.save({ runId: context.runId, step: key, status: 'failed', startedAt, finishedAt: new Date().toISOString(), result: null, error: message });
    await tracked?.end('failed', message);
    throw error;
  }
}
