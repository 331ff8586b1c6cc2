import type pg from 'pg';

import { PgStepResults } from '../../server/adapters/pg-step-results';
import type { ObjectStore } from '../../server/ports/object-store';
import { EmbeddedRunner } from '../../server/runs/embedded-runner';
import { RunRepository } from '../../server/runs/run-repository';
import { type CapturedLog, pipelineContext } from './pipeline';

/** An embedded runner over the real adapters, with fast retries for tests. */
export function testRunner(pool: pg.Pool, source: ObjectStore, options: { retries?: number; stepTimeoutMs?: number; logs?: CapturedLog[]; afterRun?: (runId: string) => void } = {}): EmbeddedRunner {
  const logs = options.logs ?? [];
  return new EmbeddedRunner({
    pool,
    runs: new RunRepository(pool),
    results: new PgStepResults(pool),
    contextFor: (runId, log, onProgress, signal, run) => ({ ...pipelineContext(pool, source, runId), log, onProgress, signal, ...run, full: true }),
    retries: options.retries ?? 2,
    backoffMs: 20,
    stepTimeoutMs: options.stepTimeoutMs ?? 60_000,
    pollMs: 50,
    log: { log: (level, message) => logs.push({ level, message }) },
    afterRun: options.afterRun,
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Wraps a store so reads of chosen keys are slow: a step that is reliably still running. */
export function slowStore(store: ObjectStore, slowKeys: (key: string) => boolean, delayMs: number): ObjectStore {
  return Object.assign(Object.create(store) as ObjectStore, {
    get: async (key: string) => {
      if (slowKeys(key)) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return store.get(key);
    },
  });
}
