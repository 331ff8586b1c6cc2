import { z } from 'zod';

/** A run id as engines make them (ours, Airflow's manual__/scheduled__, the Lambda's event__): checked wherever one comes in. */
export const runIdSchema = z.string({ message: '--run-id is required' }).regex(/^[A-Za-z0-9_.:+-]{1,250}$/, 'a run id may hold letters, digits and _ . : + - only');
