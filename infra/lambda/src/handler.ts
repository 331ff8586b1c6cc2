/**
 * AWS Lambda for `.SUCCESS` uploads: triggers the stockflow DAG through Airflow's REST API. Takes
 * what AWS invokes it with: S3 notifications, EventBridge events, SNS events (`Records[].Sns`) and
 * SQS events whose bodies are any of these (server/trigger/event-parser.ts). The dag_run_id is
 * derived from the upload, so at-least-once delivery cannot start two runs (Airflow answers 409
 * to the second, which counts as already triggered).
 *
 * Failure policy: input that cannot trigger anything (other buckets, deletes, test events, bad
 * input) is logged and dropped, never thrown, since a retry cannot change it. Only Airflow being
 * unreachable fails: an SQS batch reports the messages that failed (partial batch response, the
 * event source mapping needs ReportBatchItemFailures), any other event throws so Lambda retries.
 * SNS signatures are not checked here (SNS invoked us, or the queue policy let SNS in); the topic
 * is, when STOCKFLOW_EVENTS_SNS_TOPIC_ARN is set.
 * The Airflow password comes from AIRFLOW_PASSWORD or, as the AWS stack deploys it (infra/aws), from
 * the Secrets Manager secret AIRFLOW_PASSWORD_SECRET_ARN, read once per cold start: the password
 * then appears in neither the function's configuration nor its logs.
 * Bundled with esbuild: `npm run build:lambda` -> infra/lambda/dist/handler.mjs.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { AirflowApiError, AirflowClient } from '../../../server/adapters/airflow/airflow-client';
import { type LambdaConfig, loadLambdaConfig } from '../../../server/config';
import { type ParsedDelivery, parseDelivery } from '../../../server/trigger/event-parser';
import { markerRunId } from '../../../server/trigger/marker-run-id';

export interface HandlerResult {
  triggered: string[];
  alreadyTriggered: string[];
  ignored: number;
  /** Bad input, logged and dropped. */
  rejected: number;
}

/** Lambda's partial batch response for SQS: the messages to deliver again. */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

let client: AirflowClient | null = null;

export async function handler(event: unknown): Promise<HandlerResult | SqsBatchResponse> {
  const config = loadLambdaConfig();
  // Reused across warm invocations: keeps the v2 token and the detected API version (and the
  // password read from Secrets Manager: one read per cold start). A failed read throws before any
  // marker is handled, so Lambda retries the whole event.
  client ??= new AirflowClient({ baseUrl: config.airflow.url, apiVersion: config.airflow.apiVersion, username: config.airflow.username, password: await airflowPassword(config) });
  const parsed = parseDelivery(event, { bucket: config.monitored, snsTopicArn: config.snsTopicArn ?? null });
  logDropped(parsed);

  const result: HandlerResult = { triggered: [], alreadyTriggered: [], ignored: parsed.ignored.length, rejected: parsed.rejected.length };
  const failedMessages = new Set<string>();
  let failure: unknown = null;
  // Set when Airflow did not answer at all: the rest of the batch fails at once instead of each
  // marker waiting out its own timeouts.
  let unreachable: unknown = null;
  for (const { marker, messageId } of parsed.markers) {
    // That message is delivered again anyway (and the derived run id keeps the redelivery a no-op).
    if (messageId !== null && failedMessages.has(messageId)) continue;
    const dagRunId = markerRunId(marker);
    try {
      if (unreachable) throw unreachable;
      const { created } = await client.triggerDagRun(config.airflow.dagId, {
        dagRunId,
        conf: { marker, stockflow_trigger: { kind: 'event', by: `${marker.bucket.replace(/\/+$/, '')}/${marker.key}` } },
      });
      (created ? result.triggered : result.alreadyTriggered).push(dagRunId);
    } catch (error) {
      console.error(JSON.stringify({ message: 'stockflow trigger failed', key: marker.key, dagRunId, sqsMessageId: messageId, error: error instanceof Error ? error.message : String(error) }));
      if (!(error instanceof AirflowApiError)) unreachable ??= error;
      if (messageId !== null) failedMessages.add(messageId);
      else failure ??= error;
    }
  }
  console.log(JSON.stringify({ message: 'stockflow trigger', ...result, failedMessages: [...failedMessages] }));
  if (failure) throw failure;
  if (parsed.sqsMessageIds.length > 0) return { batchItemFailures: [...failedMessages].map((itemIdentifier) => ({ itemIdentifier })) };
  return result;
}

function logDropped(parsed: ParsedDelivery): void {
  for (const problem of parsed.rejected) console.error(JSON.stringify({ message: 'stockflow: event dropped (bad input)', reason: problem.reason, sqsMessageId: problem.messageId }));
  for (const foreign of parsed.foreignTopics) console.warn(JSON.stringify({ message: 'stockflow: SNS message of another topic dropped', topicArn: foreign.topicArn, sqsMessageId: foreign.messageId }));
  // Reaches a queue only across accounts; confirming is the operator's call.
  for (const { envelope } of parsed.confirmations) console.warn(JSON.stringify({ message: `stockflow: SNS ${envelope.Type}`, topicArn: envelope.TopicArn, subscribeUrl: envelope.SubscribeURL }));
}

/** The password as configured, or read from its secret: a plain string or JSON with a `password` key. */
async function airflowPassword(config: LambdaConfig): Promise<string> {
  if (config.airflow.password !== undefined) return config.airflow.password;
  const secrets = new SecretsManagerClient({});
  try {
    const { SecretString: text } = await secrets.send(new GetSecretValueCommand({ SecretId: config.airflow.passwordSecretArn }));
    if (!text) throw new Error(`secret ${config.airflow.passwordSecretArn} has no SecretString`);
    if (!text.trimStart().startsWith('{')) return text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // V8's message quotes the text: never let the secret reach the logs.
      throw new Error(`secret ${config.airflow.passwordSecretArn} starts like JSON but is not`);
    }
    const password = (parsed as { password?: unknown }).password;
    if (typeof password !== 'string' || password === '') throw new Error(`secret ${config.airflow.passwordSecretArn} is JSON without a "password" string`);
    return password;
  } finally {
    secrets.destroy();
  }
}

/** For tests: forget the cached client (new configuration). */
export function resetForTests(): void {
  client = null;
}
