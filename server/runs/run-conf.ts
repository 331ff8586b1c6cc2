import { z } from 'zod';

/** A run's conf as operators type it (CLI --conf, the trigger form): a JSON object, or nothing. */
export const runConfSchema = z
  .string()
  .trim()
  .transform((text, context) => {
    if (!text) return {};
    try {
      const value = JSON.parse(text) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    context.addIssue({ code: 'custom', message: 'Conf must be a JSON object, like {"note":"rerun"}.' });
    return z.NEVER;
  });
