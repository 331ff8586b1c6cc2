import type { PipelineContext } from './context';
import { runStep, STEP_NAMES } from './steps';
import { summarizeRun, type RunSummary } from './summary';

/**
 * All steps in order. A failed data step stops the run, but the notify step still runs so the
 * failure is reported; a failed notification never changes the run's own outcome.
 */
export async function runPipeline(context: PipelineContext): Promise<RunSummary> {
  for (const step of STEP_NAMES) {
    if (step === 'notify') break;
    try {
      await runStep(context, step);
    } catch {
      break;
    }
  }
  try {
    await runStep(context, 'notify');
  } catch {
    // Recorded by runStep; the data steps' outcome stands.
  }
  return summarizeRun(context.runId, await context.results.list(context.runId));
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run_${stamp}_${Math.random().toString(36).slice(2, 8)}`;
}
