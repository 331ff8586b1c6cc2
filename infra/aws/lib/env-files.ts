/**
 * The settings each part of the deployment runs with, in one place: the Airflow host's
 * infra/airflow/.env, the panel container's env file and the Lambda's environment. The stack
 * writes them from these functions (through the user data, or as the function's configuration),
 * and the tests feed the same output to loadConfig / loadLambdaConfig: one schema, checked.
 *
 * Values known when CloudFormation deploys (bucket names, the topic ARN, the region: CDK tokens)
 * are written as they are; values that exist only on the instance (the database URL built from the
 * secret, the Airflow password, the keys Airflow's containers share) are `atBoot` references that
 * the user data fills from shell variables it sets first (user-data.ts).
 */
import { AIRFLOW_ADMIN_USER, AIRFLOW_PORT, CONTAINER_CA_FILE } from './constants';
import type { Identity } from './settings';

/** Shell variables the user data defines before writing an env file (user-data.ts). */
export type BootVariable = 'DATABASE_URL' | 'AIRFLOW_ADMIN_PASSWORD' | 'AIRFLOW_SECRET_KEY' | 'AIRFLOW_JWT_SECRET' | 'AIRFLOW_FERNET_KEY';

export interface AtBoot {
  readonly atBoot: BootVariable;
}

export type EnvValue = string | AtBoot;
export type EnvEntries = ReadonlyArray<readonly [key: string, value: EnvValue]>;

const atBoot = (name: BootVariable): AtBoot => ({ atBoot: name });

export interface StackValues {
  region: string;
  sourceBucket: string;
  topicArn: string;
  identity: Identity;
}

/** What the steps and the panel both need: this stack's database over TLS, source bucket, identity and topic. */
function stockflowEnv(values: StackValues): Array<readonly [string, EnvValue]> {
  return [
    ['DATABASE_URL', atBoot('DATABASE_URL')],
    ['DATABASE_CA_FILE', CONTAINER_CA_FILE],
    ['STOCKFLOW_SOURCE', `s3://${values.sourceBucket}`],
    ['AWS_REGION', values.region],
    ['STOCKFLOW_COHORT', values.identity.cohort],
    ['STOCKFLOW_FIRST_NAME', values.identity.firstName],
    ['STOCKFLOW_SURNAME', values.identity.surname],
    ['STOCKFLOW_NOTIFIER', 'sns'],
    ['SNS_TOPIC_ARN', values.topicArn],
  ];
}

/**
 * infra/airflow/.env on the host: every key of .env.example (compose requires some with `:?`),
 * the stockflow part pointing at this stack's RDS (verify-full with the RDS CA), buckets and topic.
 */
export function airflowHostEnv(values: StackValues): EnvEntries {
  return [
    ['AIRFLOW_ADMIN_USER', AIRFLOW_ADMIN_USER],
    ['AIRFLOW_ADMIN_PASSWORD', atBoot('AIRFLOW_ADMIN_PASSWORD')],
    ['AIRFLOW_SECRET_KEY', atBoot('AIRFLOW_SECRET_KEY')],
    ['AIRFLOW_JWT_SECRET', atBoot('AIRFLOW_JWT_SECRET')],
    ['AIRFLOW_FERNET_KEY', atBoot('AIRFLOW_FERNET_KEY')],
    ['AIRFLOW_UID', '50000'],
    // Operators reach the UI through an SSM port forward to this port on their machine.
    ['AIRFLOW_BASE_URL', `http://localhost:${AIRFLOW_PORT}`],
    // Read only by docker-compose.celery.yaml; the host runs docker-compose.yaml (blank: its default).
    ['AIRFLOW_WORKER_CONCURRENCY', ''],
    ...stockflowEnv(values),
    // SMTP is not used on AWS (SNS delivers); blank means unset for compose and loadConfig.
    ['SMTP_URL', ''],
    ['STOCKFLOW_MAIL_FROM', ''],
    ['STOCKFLOW_MAIL_TO', ''],
  ];
}

export interface PanelValues extends StackValues {
  /** http://<host private IP>:8080 */
  airflowUrl: string;
  hostInstanceId: string;
  /** Only when operators reach the panel over plain HTTP from their CIDR (not through SSM). */
  insecureCookies: boolean;
}

/** The panel container's --env-file: the same database, bucket and topic, Airflow as orchestrator, the host as EC2. */
export function panelEnv(values: PanelValues): EnvEntries {
  const entries: Array<readonly [string, EnvValue]> = [
    ...stockflowEnv(values).filter(([key]) => key !== 'STOCKFLOW_NOTIFIER' && key !== 'SNS_TOPIC_ARN'),
    ['STOCKFLOW_ORCHESTRATOR', 'airflow'],
    ['AIRFLOW_URL', values.airflowUrl],
    // The compose file runs Airflow 3: no version probe needed.
    ['AIRFLOW_API_VERSION', 'v2'],
    ['AIRFLOW_USERNAME', AIRFLOW_ADMIN_USER],
    ['AIRFLOW_PASSWORD', atBoot('AIRFLOW_ADMIN_PASSWORD')],
    ['STOCKFLOW_HOST', 'ec2'],
    ['EC2_INSTANCE_ID', values.hostInstanceId],
    ['STOCKFLOW_NOTIFIER', 'sns'],
    ['SNS_TOPIC_ARN', values.topicArn],
  ];
  // Read by app/login/actions.ts (not a loadConfig setting): Secure cookies are not stored over
  // plain http from another host, while http://localhost through SSM counts as secure.
  if (values.insecureCookies) entries.push(['STOCKFLOW_INSECURE_COOKIES', '1']);
  return entries;
}

export interface LambdaValues {
  airflowUrl: string;
  passwordSecretArn: string;
  monitoredBucket: string;
}

/** The trigger Lambda's environment (server/config.ts loadLambdaConfig): no password in it. */
export function lambdaEnvironment(values: LambdaValues): Record<string, string> {
  return {
    AIRFLOW_URL: values.airflowUrl,
    AIRFLOW_API_VERSION: 'v2',
    AIRFLOW_USERNAME: AIRFLOW_ADMIN_USER,
    AIRFLOW_PASSWORD_SECRET_ARN: values.passwordSecretArn,
    STOCKFLOW_MONITORED: `s3://${values.monitoredBucket}`,
  };
}

/** The shell variables an env file needs defined before it is written. */
export function bootVariablesOf(entries: EnvEntries): BootVariable[] {
  return [...new Set(entries.flatMap(([, value]) => (typeof value === 'string' ? [] : [value.atBoot])))];
}

// Written inside an unquoted heredoc and read by compose (which interpolates `$`) and
// `docker --env-file` (which takes lines verbatim): literal values must not need quoting.
const UNSAFE = /[\s$`\\"'#]/;

/**
 * KEY=VALUE lines, `${VAR}` for boot values. `isToken` says which literals are CDK tokens (they
 * resolve to names and ARNs, which are safe, but cannot be checked before deployment).
 */
export function renderEnvFile(entries: EnvEntries, isToken: (value: string) => boolean = () => false): string {
  return entries
    .map(([key, value]) => {
      if (typeof value !== 'string') return `${key}=\${${value.atBoot}}`;
      if (!isToken(value) && UNSAFE.test(value)) throw new Error(`${key}: the value ${JSON.stringify(value)} would need quoting in an env file`);
      return `${key}=${value}`;
    })
    .join('\n');
}

/** For tests: the file as the instance ends up with, boot values filled in. */
export function resolveEnv(entries: EnvEntries, boot: Record<BootVariable, string>): Record<string, string> {
  return Object.fromEntries(entries.map(([key, value]) => [key, typeof value === 'string' ? value : boot[value.atBoot]]));
}

/** Parses KEY=VALUE lines as compose's .env and `docker --env-file` do for unquoted values. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`not KEY=VALUE: ${line}`);
    values[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return values;
}
