import { parseArgs } from 'node:util';

import { z } from 'zod';

import { type DiscoveryResult, shardsOf } from '../pipeline/discover';
import { isWholeRun, shardSchema } from '../pipeline/shard';
import { isShardedStep, isStepName, NOTIFY_STEP, SHARDED_STEPS, STEP_NAMES, stepKeyOf } from '../pipeline/steps';
import { refreshDataSummary } from '../read-models/data-summary';
import { pipelineOptionsOfConf, runConfSchema, triggerOfConf } from '../runs/run-conf';
import { finishRecordedRun } from '../runs/run-outcome';
import { runStepTry } from '../runs/step-try';
import { consoleLogger } from './console-logger';
import { createProgressBar } from './progress-bar';
import { type Command, runIdSchema, UsageError } from './shared';

const countSchema = (flag: string) =>
  z.coerce
    .number({ message: `${flag} takes a whole number` })
    .int()
    .min(1)
    .max(1000);

/**
 * `stockflow step NAME --run-id ID`: one step of a run in its own process (what each Airflow task
 * runs). The step records itself like the embedded runner does: the run, the try, its progress and
 * log lines, and (notify, or a cancel) how the run ended. Its log also goes to stderr, which
 * Airflow keeps as the task log. `--shard i/N` runs transform or load for one shard of the
 * run's companies; discover prints the run's shard list as the last line of stdout (the DAG maps
 * transform and load over it: Airflow keeps a task's last stdout line as its XCom).
 */
export const stepCommand: Command = async (args, services) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'run-id': { type: 'string' },
      try: { type: 'string' },
      'max-tries': { type: 'string' },
      conf: { type: 'string' },
      engine: { type: 'string', default: 'cli' },
      shard: { type: 'string' },
    },
  });
  const step = positionals[0];
  if (!step || !isStepName(step)) throw new UsageError(`step must be one of ${STEP_NAMES.join(', ')}`);
  const shard = values.shard === undefined ? undefined : shardSchema.parse(values.shard);
  if (!isWholeRun(shard) && !isShardedStep(step)) throw new UsageError(`--shard applies to ${SHARDED_STEPS.join(' and ')}; ${step} sees the whole run`);
  const runId = runIdSchema.parse(values['run-id']);
  const tryNumber = values.try === undefined ? undefined : countSchema('--try').parse(values.try);
  const conf = runConfSchema.parse(values.conf ?? '');
  const engine = z.enum(['cli', 'airflow'], { message: '--engine is cli or airflow' }).parse(values.engine);
  const opened = await services();
  const bar = createProgressBar();
  const log = consoleLogger('info', () => bar.done());

  const results = opened.pipelineContext(runId, log).results;
  const status = await opened.runs.markRunning({ id: runId, trigger: triggerOfConf(conf, engine), conf, orchestrator: engine });
  if (status === 'cancelled' && step !== NOTIFY_STEP) {
    log.log('warn', `run ${runId} was cancelled: ${step} does not run`);
    return 1;
  }
  // Airflow ends a task it gives up on with SIGTERM: record the try as failed before exiting.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => stop.abort(new Error(`${step} stopped by ${signal}`));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const nextTry = tryNumber ?? (await opened.runs.nextTryNumber(runId, stepKeyOf({ shard }, step)));
    const maxTries = values['max-tries'] === undefined ? nextTry : countSchema('--max-tries').parse(values['max-tries']);
    const result = await runStepTry({
      runs: opened.runs,
      results,
      runId,
      step,
      shard: isWholeRun(shard) ? undefined : shard,
      tryNumber: nextTry,
      maxTries,
      timeoutMs: opened.config.runner.stepTimeoutMs,
      echo: log,
      signal: stop.signal,
      contextFor: (taskLog, onProgress, signal) =>
        opened.pipelineContext(
          runId,
          taskLog,
          (event) => {
            onProgress(event);
            bar.update(event);
          },
          signal,
          pipelineOptionsOfConf(conf),
        ),
    });
    bar.done();
    // An operator's cancel reaches a step two ways: the cancel flag, or Airflow's SIGTERM.
    const cancelled = result.outcome === 'cancelled' || (result.outcome === 'failed' && (await opened.runs.isCancelRequested(runId)));
    // notify comes last whatever happened before it (all_done): it closes the run's record.
    if (step === NOTIFY_STEP || cancelled) {
      const { ending } = await finishRecordedRun(opened.runs, results, runId, { cancelled });
      log.log(ending.status === 'success' ? 'info' : 'warn', `run ${runId}: ${ending.status}${ending.error ? ` (${ending.error})` : ''}`);
      await refreshDataSummary(opened.pool, log);
    }
    if (step === 'discover' && result.outcome === 'success') {
      const discovery = (await results.get(runId, 'discover'))?.result as DiscoveryResult;
      process.stdout.write(`${JSON.stringify(shardsOf(discovery))}\n`);
    }
    return result.outcome === 'success' ? 0 : 1;
  } finally {
    bar.done();
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  }
};
