/**
 * AWS Lambda for S3 ObjectCreated events on `.SUCCESS`: triggers the stockflow DAG through
 * Airflow's REST API. The dag_run_id is derived from the marker, so S3's at-least-once delivery
 * cannot start two runs (Airflow answers 409 to the second, which counts as already triggered).
 * Bundled with esbuild: `npm run build:lambda` -> infra/lambda/dist/handler.mjs.
 */
import { AirflowClient } from '../../../server/adapters/airflow/airflow-client';
import { loadLambdaConfig } from '../../../server/config';
import { markerRunId } from '../../../server/trigger/marker-run-id';
import { markersOfS3Event } from '../../../server/trigger/s3-event';

export interface HandlerResult {
  triggered: string[];
  alreadyTriggered: string[];
  ignored: number;
}

let client: AirflowClient | null = null;

export async function handler(event: unknown): Promise<HandlerResult> {
  const config = loadLambdaConfig();
  // Reused across warm invocations: keeps the v2 token and the detected API version.
  client ??= new AirflowClient({ baseUrl: config.airflow.url, apiVersion: config.airflow.apiVersion, username: config.airflow.username, password: config.airflow.password });
  const delivery = markersOfS3Event(event);
  const result: HandlerResult = { triggered: [], alreadyTriggered: [], ignored: delivery.kind === 'markers' ? delivery.ignored : 0 };
  if (delivery.kind !== 'markers') return result;
  for (const marker of delivery.markers) {
    const dagRunId = markerRunId(marker);
    // A failure here throws: Lambda retries the event, and the derived id keeps retries idempotent.
    const { created } = await client.triggerDagRun(config.airflow.dagId, {
      dagRunId,
      conf: { marker, stockflow_trigger: { kind: 'event', by: `${marker.bucket.replace(/\/+$/, '')}/${marker.key}` } },
    });
    (created ? result.triggered : result.alreadyTriggered).push(dagRunId);
  }
  console.log(JSON.stringify({ message: 'stockflow trigger', ...result }));
  return result;
}

/** For tests: forget the cached client (new configuration). */
export function resetForTests(): void {
  client = null;
}
