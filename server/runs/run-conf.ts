import { z } from 'zod';

import { MAX_SHARDS } from '../pipeline/shard';
import { LOAD_MODES, type LoadMode } from '../ports/stock-table';

/** A run's conf as operators type it (CLI --conf, the trigger form): a JSON object, or nothing. */
export const runConfSchema = z
  .string()
  .trim()
  .transform((text, context) => {
    if (!text) return {};
    try {
      const value = JSON.parse(text) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const conf = value as Record<string, unknown>;
        if (conf.load_mode !== undefined && !loadModeSchema.safeParse(conf.load_mode).success) {
          context.addIssue({ code: 'custom', message: `load_mode must be ${LOAD_MODES.map((mode) => `"${mode}"`).join(' or ')}.` });
          return z.NEVER;
        }
        if (conf.full !== undefined && typeof conf.full !== 'boolean') {
          context.addIssue({ code: 'custom', message: 'full must be true or false.' });
          return z.NEVER;
        }
        if (conf.shards !== undefined && !shardCountSchema.safeParse(conf.shards).success) {
          context.addIssue({ code: 'custom', message: `shards must be a whole number from 1 to ${MAX_SHARDS}.` });
          return z.NEVER;
        }
        return conf;
      }
    } catch {
      // reported below
    }
    context.addIssue({ code: 'custom', message: 'Conf must be a JSON object, like {"note":"rerun"}.' });
    return z.NEVER;
  });

const loadModeSchema = z.enum(LOAD_MODES as [LoadMode, ...LoadMode[]]);
const shardCountSchema = z.number().int().min(1).max(MAX_SHARDS);

/** A conf with `--mode` (CLI) folded in as its load_mode; a bad mode is the caller's mistake. */
export function confWithLoadMode(conf: Record<string, unknown>, mode: string | undefined): Record<string, unknown> {
  if (mode === undefined) return conf;
  const parsed = loadModeSchema.safeParse(mode);
  if (!parsed.success) throw new z.ZodError([{ code: 'custom', path: ['--mode'], message: `--mode must be ${LOAD_MODES.join(' or ')}`, input: mode }]);
  return { ...conf, load_mode: parsed.data };
}

/** A conf with `--full` (CLI) folded in: every listed file is read, unchanged ones too. */
export function confWithFull(conf: Record<string, unknown>, full: boolean | undefined): Record<string, unknown> {
  return full ? { ...conf, full: true } : conf;
}

/** The load mode a run's conf asks for (`load_mode`); per-company replace when absent. */
export function loadModeOfConf(conf: Record<string, unknown>): LoadMode {
  const mode = loadModeSchema.safeParse(conf.load_mode);
  return mode.success ? mode.data : 'companies';
}

/** How many shards a run's conf asks for (`shards`); undefined lets discover decide from the batch size. */
export function shardsOfConf(conf: Record<string, unknown>): number | undefined {
  const shards = shardCountSchema.safeParse(conf.shards);
  return shards.success ? shards.data : undefined;
}

/** What a run's conf fixes for its steps (each engine passes it into the pipeline context). */
export function pipelineOptionsOfConf(conf: Record<string, unknown>): { loadMode: LoadMode; shards: number | undefined; full: boolean } {
  return { loadMode: loadModeOfConf(conf), shards: shardsOfConf(conf), full: conf.full === true };
}

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
