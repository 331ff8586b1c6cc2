import type { Services } from '../services';

export class UsageError extends Error {}

export { runIdSchema } from '../runs/run-id';

export type Command = (args: string[], services: () => Promise<Services>) => Promise<number>;

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
