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

const triggerSchema = z.object({ kind: z.enum(['manual', 'event', 'schedule']), by: z.string().min(1).max(1000) });
const markerSchema = z.object({ bucket: z.string().min(1), key: z.string().min(1), version: z.string().min(1) });

/**
 * Who started a run, from its conf as an engine hands it over (Airflow's dag_run.conf): the
 * trigger stockflow put there, else the marker the Lambda put there, else the engine itself.
 */
export function triggerOfConf(conf: Record<string, unknown>, engine: string): { kind: 'manual' | 'event' | 'schedule'; by: string } {
  const trigger = triggerSchema.safeParse(conf.stockflow_trigger);
  if (trigger.success) return trigger.data;
  const marker = markerSchema.safeParse(conf.marker);
  if (marker.success) return { kind: 'event', by: `${marker.data.bucket.replace(/\/+$/, '')}/${marker.data.key}` };
  return { kind: 'manual', by: engine };
}
