import type { Manifest } from '../pipeline/transform';
import type { RunView, TaskView } from '../ports/orchestrator';
import type { Services } from '../services';

export interface RunDetail {
  run: RunView;
  tasks: TaskView[];
  isFinished: boolean;
  isCancellable: boolean;
  isRetryable: boolean;
  rejects: { count: number; first: Manifest['firstRejects'] } | null;
}

/** A run with its steps and ready flags, as the run page renders and polls it. */
export async function loadRunDetail(services: Services, runId: string): Promise<RunDetail | null> {
  const run = await services.orchestrator.getRun(runId);
  if (!run) return null;
  const tasks = await services.orchestrator.listTasks(runId);
  const transform = await services.pipelineContext(runId, { log: () => {} }).results.get(runId, 'transform');
  const manifest = transform?.status === 'success' ? (transform.result as Manifest) : null;
  const isFinished = ['success', 'failed', 'cancelled'].includes(run.status);
  return {
    run,
    tasks,
    isFinished,
    isCancellable: run.status === 'queued' || run.status === 'running',
    isRetryable: run.status === 'failed' || run.status === 'cancelled',
    rejects: manifest ? { count: manifest.totals.rowsRejected, first: manifest.firstRejects } : null,
  };
}
