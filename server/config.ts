import { resolve } from 'node:path';

import { z } from 'zod';

import type { DatabaseTlsSettings } from './db/tls';

/** The one reader of the environment: every setting the product takes, validated at start. */

const identityPart = z
  .string()
  .trim()
  .min(1)
  .max(30)
  .regex(/^[A-Za-z0-9-]+$/, 'use ASCII letters, digits and "-" only (it goes into an e-mail subject)');

const bucketLocation = z
  .string()
  .trim()
  .min(1)
  .refine((value) => !value.startsWith('s3://') || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(value), {
    message: 'expected s3://bucket[/prefix] with a valid bucket name, or a folder path',
  });

/**
 * A service URL without credentials in it: user:password in a URL ends up in logs, error messages
 * and the panel (credentials have their own variables).
 */
const serviceUrl = (message: string) =>
  z.url({ message }).refine(
    (value) => {
      const url = URL.canParse(value) ? new URL(value) : null;
      return !url || (url.username === '' && url.password === '');
    },
    { message: 'must not contain user:password (use the separate credential variables)' },
  );

const booleanFlag = z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((value) => value === '1' || value === 'true' || value === 'yes');

/** The S3 bucket events come from: a bucket name or s3://bucket[/prefix]. */
const eventsBucket = z
  .string()
  .trim()
  .regex(/^(s3:\/\/)?[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'expected an S3 bucket name or s3://bucket[/prefix]');

const snsTopicArn = z
  .string()
  .trim()
  .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d+:[\w-]{1,256}$/, 'expected an SNS topic ARN');

const envShape = {
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  // TLS for DATABASE_URL (server/db/tls.ts): the CA bundle, and libpq's own variables.
  DATABASE_CA_FILE: z.string().trim().min(1).optional(),
  PGSSLROOTCERT: z.string().trim().min(1).optional(),
  PGSSLMODE: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
  STOCKFLOW_DATA_DIR: z.string().trim().min(1).default('.stockflow'),
  STOCKFLOW_SOURCE: bucketLocation.optional(),
  STOCKFLOW_MONITORED: bucketLocation.optional(),
  S3_ENDPOINT: serviceUrl('expected an http(s) URL').optional(),
  S3_FORCE_PATH_STYLE: booleanFlag.optional(),
  AWS_REGION: z.string().trim().min(1).default('us-east-1'),
  // How long an S3 connection may stay silent (connecting, waiting for an answer, mid-body) before the call fails.
  S3_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  STOCKFLOW_COHORT: identityPart.default('Cohort'),
  STOCKFLOW_FIRST_NAME: identityPart.default('Stock'),
  STOCKFLOW_SURNAME: identityPart.default('Flow'),
  STOCKFLOW_EMBEDDED_PG_PORT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(65535)
    .refine((port) => port !== 5432, {
      message: '5432 belongs to the system PostgreSQL; the embedded one needs another port',
    })
    .default(54329),
  STOCKFLOW_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  STOCKFLOW_ORCHESTRATOR: z.enum(['embedded', 'airflow']).default('embedded'),
  AIRFLOW_URL: serviceUrl('expected the Airflow web server URL, e.g. http://airflow-host:8080').optional(),
  AIRFLOW_API_VERSION: z.enum(['v1', 'v2']).optional(),
  AIRFLOW_DAG_ID: z
    .string()
    .trim()
    .regex(/^[\w.-]{1,250}$/, 'letters, digits, _ . - only')
    .default('stockflow_pipeline'),
  AIRFLOW_USERNAME: z.string().optional(),
  AIRFLOW_PASSWORD: z.string().optional(),
  STOCKFLOW_STEP_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  STOCKFLOW_RETRY_BACKOFF_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  STOCKFLOW_STEP_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(86_400_000)
    .default(30 * 60_000),
  STOCKFLOW_WATCH_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(5000),
  STOCKFLOW_EVENTS_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  STOCKFLOW_EVENTS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  STOCKFLOW_EVENTS_BUCKET: eventsBucket.optional(),
  STOCKFLOW_EVENTS_SNS_TOPIC_ARN: snsTopicArn.optional(),
  STOCKFLOW_HOST: z.enum(['local', 'ec2']).default('local'),
  EC2_INSTANCE_ID: z
    .string()
    .regex(/^i-[0-9a-f]{8,17}$/, 'expected an instance id like i-0123456789abcdef0')
    .optional(),
  EC2_INSTANCE_NAME: z.string().trim().min(1).max(255).optional(),
  STOCKFLOW_NOTIFIER: z.enum(['outbox', 'smtp', 'sns']).optional(),
  SNS_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d+:[\w-]{1,256}$/, 'expected an SNS topic ARN')
    .optional(),
  SNS_ENDPOINT: serviceUrl('expected an http(s) URL').optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'expected smtp://[user:pass@]host:port or smtps://...')
    .optional(),
  STOCKFLOW_MAIL_FROM: z.email({ message: 'expected an e-mail address' }).default('stockflow@localhost'),
  STOCKFLOW_MAIL_TO: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.email({ message: 'expected comma-separated e-mail addresses' })))
    .optional(),
};

const envSchema = z.object(envShape).superRefine((values, context) => {
  // The embedded server is plain; the web child would otherwise apply the CA to it (it gets DATABASE_URL).
  if (values.DATABASE_CA_FILE && !values.DATABASE_URL) {
    context.addIssue({ code: 'custom', path: ['DATABASE_CA_FILE'], message: 'applies to DATABASE_URL only; set DATABASE_URL (with sslmode=verify-full) or unset it' });
  }
  if (values.STOCKFLOW_ORCHESTRATOR === 'airflow' && !values.AIRFLOW_URL) {
    context.addIssue({ code: 'custom', path: ['AIRFLOW_URL'], message: 'required when STOCKFLOW_ORCHESTRATOR=airflow' });
  }
  if (values.STOCKFLOW_HOST === 'ec2' && !values.EC2_INSTANCE_ID && !values.EC2_INSTANCE_NAME) {
    context.addIssue({ code: 'custom', path: ['EC2_INSTANCE_ID'], message: 'set EC2_INSTANCE_ID or EC2_INSTANCE_NAME (the Name tag) when STOCKFLOW_HOST=ec2' });
  }
  if (values.STOCKFLOW_NOTIFIER === 'smtp' && !values.SMTP_URL) {
    context.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'required when STOCKFLOW_NOTIFIER=smtp' });
  }
  if (values.SMTP_URL && !values.STOCKFLOW_MAIL_TO) {
    context.addIssue({ code: 'custom', path: ['STOCKFLOW_MAIL_TO'], message: 'required when SMTP_URL is set (who receives the pipeline mails)' });
  }
  if (values.STOCKFLOW_EVENTS_PORT !== undefined && !values.STOCKFLOW_EVENTS_SECRET) {
    context.addIssue({ code: 'custom', path: ['STOCKFLOW_EVENTS_SECRET'], message: 'required when STOCKFLOW_EVENTS_PORT is set (the endpoint must authenticate callers)' });
  }
  const where = (location: BucketLocation): string => `${location.bucket}/${location.prefix}`;
  if (values.STOCKFLOW_EVENTS_BUCKET && values.STOCKFLOW_MONITORED?.startsWith('s3://') && where(s3LocationOf(values.STOCKFLOW_EVENTS_BUCKET)) !== where(s3LocationOf(values.STOCKFLOW_MONITORED))) {
    context.addIssue({ code: 'custom', path: ['STOCKFLOW_EVENTS_BUCKET'], message: 'events are for the monitored bucket: leave it unset when STOCKFLOW_MONITORED is s3://' });
  }
});

export interface BucketLocation {
  kind: 's3' | 'folder';
  /** For s3: the bucket name; for folder: the absolute folder path. */
  bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'). */
  prefix: string;
  /** As the operator wrote it, for messages. */
  display: string;
}

export interface Config {
  databaseUrl: string | undefined;
  /** Applies to DATABASE_URL only (the embedded server is local and plain). */
  databaseTls: DatabaseTlsSettings;
  dataDir: string;
  source: BucketLocation;
  monitored: BucketLocation;
  s3: { endpoint: string | undefined; forcePathStyle: boolean; region: string; requestTimeoutMs: number };
  identity: { cohort: string; firstName: string; surname: string };
  embeddedPostgresPort: number;
  concurrency: number;
  orchestrator: 'embedded' | 'airflow';
  airflow: { url: string | undefined; apiVersion: 'v1' | 'v2' | undefined; dagId: string; username: string | undefined; password: string | undefined };
  runner: { retries: number; backoffMs: number; stepTimeoutMs: number };
  watch: {
    intervalMs: number;
    eventsSecret: string | undefined;
    eventsPort: number | undefined;
    /** Whose S3 events count: the monitored bucket when it is s3://, else STOCKFLOW_EVENTS_BUCKET. */
    eventsBucket: BucketLocation | undefined;
    /** The one SNS topic allowed to post events; unset, SNS messages are refused. */
    eventsSnsTopicArn: string | undefined;
  };
  mail: { channel: 'outbox' | 'smtp' | 'sns'; smtpUrl: string | undefined; from: string; to: string[]; snsTopicArn: string | undefined; snsEndpoint: string | undefined };
  host: { kind: 'local' | 'ec2'; instanceId: string | undefined; instanceName: string | undefined };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseBucketLocation(value: string, baseDir = process.cwd()): BucketLocation {
  if (value.startsWith('s3://')) {
    const rest = value.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    let prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+/, '');
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    return { kind: 's3', bucket, prefix, display: value };
  }
  return { kind: 'folder', bucket: resolve(baseDir, value), prefix: '', display: value };
}

/** Reads and validates the environment; throws one ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const blankAsUnset = Object.fromEntries(Object.keys(envShape).map((name) => [name, env[name] === '' ? undefined : env[name]]));
  const parsed = envSchema.safeParse(blankAsUnset);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  const values = parsed.data;
  const dataDir = resolve(values.STOCKFLOW_DATA_DIR);
  return {
    databaseUrl: values.DATABASE_URL,
    databaseTls: {
      sslMode: values.PGSSLMODE,
      caFile: values.DATABASE_CA_FILE ? { path: values.DATABASE_CA_FILE, variable: 'DATABASE_CA_FILE' } : values.PGSSLROOTCERT ? { path: values.PGSSLROOTCERT, variable: 'PGSSLROOTCERT' } : undefined,
    },
    dataDir,
    source: parseBucketLocation(values.STOCKFLOW_SOURCE ?? resolve(dataDir, 'buckets/source')),
    monitored: parseBucketLocation(values.STOCKFLOW_MONITORED ?? resolve(dataDir, 'buckets/monitored')),
    s3: {
      endpoint: values.S3_ENDPOINT,
      // S3-compatible servers rarely support virtual-hosted buckets; AWS itself wants them.
      forcePathStyle: values.S3_FORCE_PATH_STYLE ?? values.S3_ENDPOINT !== undefined,
      region: values.AWS_REGION,
      requestTimeoutMs: values.S3_REQUEST_TIMEOUT_MS,
    },
    identity: {
      cohort: values.STOCKFLOW_COHORT,
      firstName: values.STOCKFLOW_FIRST_NAME,
      surname: values.STOCKFLOW_SURNAME,
    },
    embeddedPostgresPort: values.STOCKFLOW_EMBEDDED_PG_PORT,
    concurrency: values.STOCKFLOW_CONCURRENCY,
    orchestrator: values.STOCKFLOW_ORCHESTRATOR,
    airflow: {
      url: values.AIRFLOW_URL?.replace(/\/+$/, ''),
      apiVersion: values.AIRFLOW_API_VERSION,
      dagId: values.AIRFLOW_DAG_ID,
      username: values.AIRFLOW_USERNAME,
      password: values.AIRFLOW_PASSWORD,
    },
    runner: { retries: values.STOCKFLOW_STEP_RETRIES, backoffMs: values.STOCKFLOW_RETRY_BACKOFF_MS, stepTimeoutMs: values.STOCKFLOW_STEP_TIMEOUT_MS },
    watch: {
      intervalMs: values.STOCKFLOW_WATCH_INTERVAL_MS,
      eventsSecret: values.STOCKFLOW_EVENTS_SECRET,
      eventsPort: values.STOCKFLOW_EVENTS_PORT,
      eventsBucket: values.STOCKFLOW_MONITORED?.startsWith('s3://')
        ? parseBucketLocation(values.STOCKFLOW_MONITORED)
        : values.STOCKFLOW_EVENTS_BUCKET
          ? s3LocationOf(values.STOCKFLOW_EVENTS_BUCKET)
          : undefined,
      eventsSnsTopicArn: values.STOCKFLOW_EVENTS_SNS_TOPIC_ARN,
    },
    mail: {
      channel: values.STOCKFLOW_NOTIFIER ?? (values.SMTP_URL ? 'smtp' : values.SNS_TOPIC_ARN ? 'sns' : 'outbox'),
      smtpUrl: values.SMTP_URL,
      from: values.STOCKFLOW_MAIL_FROM,
      to: values.STOCKFLOW_MAIL_TO ?? [],
      snsTopicArn: values.SNS_TOPIC_ARN,
      snsEndpoint: values.SNS_ENDPOINT,
    },
    host: { kind: values.STOCKFLOW_HOST, instanceId: values.EC2_INSTANCE_ID, instanceName: values.EC2_INSTANCE_NAME },
  };
}

const lambdaShape = {
  AIRFLOW_URL: serviceUrl('expected the Airflow web server URL'),
  AIRFLOW_API_VERSION: z.enum(['v1', 'v2']).optional(),
  AIRFLOW_DAG_ID: z
    .string()
    .trim()
    .regex(/^[\w.-]{1,250}$/)
    .default('stockflow_pipeline'),
  AIRFLOW_USERNAME: z.string().min(1),
  // The password itself, or (better: it stays out of the function's configuration) the Secrets
  // Manager secret holding it, read once per cold start (infra/lambda). Exactly one of the two.
  AIRFLOW_PASSWORD: z.string().min(1).optional(),
  AIRFLOW_PASSWORD_SECRET_ARN: z
    .string()
    .trim()
    .regex(/^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:[\w/+=.@-]+$/, 'expected a Secrets Manager secret ARN')
    .optional(),
  // The bucket whose .SUCCESS uploads trigger (as the watcher names it, so both derive one run id).
  STOCKFLOW_MONITORED: eventsBucket,
  STOCKFLOW_EVENTS_SNS_TOPIC_ARN: snsTopicArn.optional(),
};

const lambdaSchema = z.object(lambdaShape).superRefine((values, context) => {
  if ((values.AIRFLOW_PASSWORD === undefined) === (values.AIRFLOW_PASSWORD_SECRET_ARN === undefined)) {
    context.addIssue({ code: 'custom', path: ['AIRFLOW_PASSWORD'], message: 'set exactly one of AIRFLOW_PASSWORD and AIRFLOW_PASSWORD_SECRET_ARN' });
  }
});

export interface LambdaConfig {
  /** `password` or `passwordSecretArn`: exactly one is set. */
  airflow: { url: string; apiVersion: 'v1' | 'v2' | undefined; dagId: string; username: string; password: string | undefined; passwordSecretArn: string | undefined };
  monitored: BucketLocation;
  /** When set, SNS messages from other topics are dropped. */
  snsTopicArn: string | undefined;
}

/** A bucket name or s3://bucket[/prefix] as an s3 location. */
function s3LocationOf(value: string): BucketLocation {
  return parseBucketLocation(value.startsWith('s3://') ? value : `s3://${value}`);
}

/** The Lambda's settings (it deploys alone, but reads its environment here like everything else). */
export function loadLambdaConfig(env: Record<string, string | undefined> = process.env): LambdaConfig {
  const parsed = lambdaSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  const values = parsed.data;
  return {
    airflow: {
      url: values.AIRFLOW_URL.replace(/\/+$/, ''),
      apiVersion: values.AIRFLOW_API_VERSION,
      dagId: values.AIRFLOW_DAG_ID,
      username: values.AIRFLOW_USERNAME,
      password: values.AIRFLOW_PASSWORD,
      passwordSecretArn: values.AIRFLOW_PASSWORD_SECRET_ARN,
    },
    monitored: s3LocationOf(values.STOCKFLOW_MONITORED),
    snsTopicArn: values.STOCKFLOW_EVENTS_SNS_TOPIC_ARN,
  };
}

/** Every environment variable the Lambda reads (the AWS stack sets only these: infra/aws). */
export const LAMBDA_CONFIG_VARIABLES: readonly string[] = Object.keys(lambdaShape);

/** Every environment variable the product reads (the Airflow DAG passes only these to its tasks). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envShape);
