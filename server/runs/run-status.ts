import type { RunStatus } from '../ports/orchestrator';

/**
 * What a run's or a step's status allows, decided in one place (screens, CLI, engines and SQL
 * callers ask here instead of comparing strings themselves).
 */
export const FINISHED_RUN_STATUSES = ['success', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];
export const RETRYABLE_RUN_STATUSES = ['failed', 'cancelled'] as const satisfies readonly RunStatus[];

/** The run has an ending and nothing more will happen to it (unless retried). */
export function isFinished(status: string): boolean {
  return (FINISHED_RUN_STATUSES as readonly string[]).includes(status);
}

/** Still waiting or going: the screens that show it keep refreshing. */
export function isActive(status: RunStatus): boolean {
  return !isFinished(status);
}

/** A queued run is cancelled at once; a running one is asked to stop. */
export function isCancellable(status: RunStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** Only an unsuccessful ending can be retried from its failed step. */
export function isRetryable(status: RunStatus): boolean {
  return (RETRYABLE_RUN_STATUSES as readonly string[]).includes(status);
}

/** A finished run of any ending can be started again as a new run (its conf edited). */
export function isRerunnable(status: RunStatus): boolean {
  return isFinished(status);
}
