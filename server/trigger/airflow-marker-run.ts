import { z } from 'zod';

import { type Queryable, recordMarkerDecisions } from './marker-log';

const markerSchema = z.object({ bucket: z.string().min(1), key: z.string().min(1), version: z.string().min(1) });

/**
 * Logs "started" for a run that first reached stockflow through its first Airflow task, with the
 * marker the Lambda put in dag_run.conf. Runs stockflow triggered itself carry stockflow_trigger and
 * were logged when triggered; runs without a marker are not markers' business.
 */
export async function recordAirflowMarkerRun(db: Queryable, runId: string, conf: Record<string, unknown>): Promise<void> {
  const marker = markerSchema.safeParse(conf.marker);
  if (!marker.success || conf.stockflow_trigger !== undefined) return;
  await recordMarkerDecisions(db, [
    { source: 'airflow', ...marker.data, decision: 'started', runId, detail: 'created by its first Airflow task from dag_run.conf (the Lambda that triggered it logs to CloudWatch)' },
  ]);
}
