import { type RunSummary, summarizeRun } from '../pipeline/summary';
import type { StepResultStore } from '../ports/step-results';
import type { RunRepository } from './run-repository';

export interface RunEnding {
  status: 'success' | 'failed' | 'cancelled';
  error: string | null;
}

/**
 * How a run ended, from its recorded steps: the one rule for the embedded runner, `stockflow run`
 * and the Airflow DAG's notify task. A run succeeds when every data step succeeded; a notification
 * that could not be delivered never changes that.
 */
export function runEnding(summary: RunSummary, interruption: { cancelled?: boolean; shutdown?: string } = {}): RunEnding {
  const step = summary.error?.step ?? 'unknown';
  if (interruption.shutdown && summary.status !== 'success') return { status: 'failed', error: `${interruption.shutdown} during step ${step}` };
  if (interruption.cancelled) return { status: 'cancelled', error: `cancelled during step ${step}` };
  if (summary.status === 'success') return { status: 'success', error: null };
  return { status: 'failed', error: `step ${step} failed: ${summary.error?.message ?? 'unknown error'}` };
}

/** Derives the run's ending from its step records and writes it, with the summary, to stockflow.runs. */
export async function finishRecordedRun(
  runs: RunRepository,
  results: StepResultStore,
  runId: string,
  interruption: Parameters<typeof runEnding>[1] = {},
): Promise<{ summary: RunSummary; ending: RunEnding }> {
  const summary = summarizeRun(runId, await results.list(runId));
  const ending = runEnding(summary, interruption);
  await runs.finishRun(runId, ending.status, summary, ending.error);
  return { summary, ending };
}
