import { z } from 'zod';
import type { Services } from '../services';

export class UsageError extends Error {}

export const runIdSchema = z
  .string({ message: '--run-id is required' })
  .regex(/^[A-Za-z0-9_.:+-]{1,250}$/, 'a run id may hold letters, digits and _ . : + - only');

export type Command = (args: string[], services: () => Promise<Services>) => Promise<number>;

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
