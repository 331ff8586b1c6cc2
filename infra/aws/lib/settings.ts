/**
 * What one deployment is made of, read from CDK context (`-c key=value` or the `context` of
 * infra/aws/cdk.json) and validated once, so every construct gets checked, typed values. A bad
 * value stops `cdk synth` with one message listing every problem, like server/config.ts does for
 * the product's environment.
 */
import type { Node } from 'constructs';
import { z } from 'zod';

import { ConfigError, loadConfig } from '../../../server/config';

/** Context keys, as typed after `-c`. */
export const CONTEXT_KEYS = [
  'cohort',
  'firstName',
  'surname',
  'operatorEmails',
  'operatorCidr',
  'hostInstanceType',
  'panelInstanceType',
  'databaseInstanceType',
  'destroyData',
  'sourceBucketName',
  'monitoredBucketName',
  'stackName',
] as const;

const instanceType = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'expected an EC2 instance type such as t3.medium');

const flag = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((value) => value === true || value === 'true');

/** `a@x.org,b@y.org` (what `-c` gives) or a JSON array (what cdk.json may hold). */
const emailList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((address) => address.trim()).filter(Boolean))
  .pipe(z.array(z.email({ message: 'expected comma-separated e-mail addresses' })));

const bucketName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name: 3-63 lower-case letters, digits, "." or "-"')
  .refine((name) => !name.includes('..'), 'an S3 bucket name has no ".."');

/**
 * An IPv4 CIDR narrow enough to name an operator's network: never the whole internet (the stack
 * admits no ingress from 0.0.0.0/0 or ::/0 anywhere). IPv4 only: the VPC has no IPv6.
 */
const operatorCidr = z
  .string()
  .trim()
  .refine((cidr) => {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    return v4 !== null && v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) >= 16 && Number(v4[5]) <= 32;
  }, 'expected an operator network such as 203.0.113.7/32 (IPv4, /16 to /32)');

const contextSchema = z.object({
  // Identity: the names of the seed's resources and the notification subject
  // (<cohort>_<first>_<surname>_Pipeline_Success). Checked again below with the product's own rules.
  cohort: z.string().trim().default('Cohort'),
  firstName: z.string().trim().default('Stock'),
  surname: z.string().trim().default('Flow'),
  operatorEmails: emailList.default([]),
  operatorCidr: operatorCidr.optional(),
  hostInstanceType: instanceType.default('t3.medium'),
  panelInstanceType: instanceType.default('t3.micro'),
  // The issue's database sizes: both 2 vCPU / 1 GB burstable; Graviton is ~10 % cheaper.
  databaseInstanceType: z.enum(['t4g.micro', 't3.micro']).default('t4g.micro'),
  destroyData: flag.default(false),
  sourceBucketName: bucketName.optional(),
  monitoredBucketName: bucketName.optional(),
  stackName: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a CloudFormation stack name')
    .default('Stockflow'),
});

export interface Identity {
  cohort: string;
  firstName: string;
  surname: string;
}

export interface DeploymentSettings {
  stackName: string;
  identity: Identity;
  operatorEmails: string[];
  /** When set, the panel also listens on its port for this network (plain HTTP: see docs/DEPLOY.md). */
  operatorCidr: string | undefined;
  hostInstanceType: string;
  panelInstanceType: string;
  databaseInstanceType: 't4g.micro' | 't3.micro';
  /** `cdk destroy` also deletes the buckets' objects and the database (no final snapshot). */
  destroyData: boolean;
  names: { sourceBucket: string; monitoredBucket: string; topic: string };
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid CDK context (infra/aws):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/** The seed's names: `{cohort}-mbd-predict-{first}-{surname}-...`, buckets lower-cased (S3 rule). */
export function seedNames(identity: Identity): DeploymentSettings['names'] {
  const base = `${identity.cohort}-mbd-predict-${identity.firstName}-${identity.surname}`;
  return { sourceBucket: `${base}-s3-source`.toLowerCase(), monitoredBucket: `${base}-monitored-bucket`.toLowerCase(), topic: `${base}-SNS` };
}

/** Validates raw context values (what `node.tryGetContext` returns for each key). */
export function parseSettings(raw: Partial<Record<(typeof CONTEXT_KEYS)[number], unknown>>): DeploymentSettings {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = contextSchema.safeParse(defined);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((issue) => `${String(issue.path[0] ?? '(context)')}: ${issue.message}`);
  // The identity is checked below even when something else is wrong: one message lists everything.
  const values = parsed.success ? parsed.data : contextSchema.parse({});
  const text = (key: 'cohort' | 'firstName' | 'surname'): string => (typeof defined[key] === 'string' ? (defined[key] as string).trim() : values[key]);
  const identity = { cohort: text('cohort'), firstName: text('firstName'), surname: text('surname') };
  // The product's own rules for the subject's parts: the host's .env must pass loadConfig.
  try {
    loadConfig({ STOCKFLOW_COHORT: identity.cohort, STOCKFLOW_FIRST_NAME: identity.firstName, STOCKFLOW_SURNAME: identity.surname });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const contextKey: Record<string, string> = { STOCKFLOW_COHORT: 'cohort', STOCKFLOW_FIRST_NAME: 'firstName', STOCKFLOW_SURNAME: 'surname' };
    problems.push(...error.problems.map((problem) => problem.replace(/^(\w+):/, (_, name: string) => `${contextKey[name] ?? name}:`)));
  }
  if (problems.length > 0) throw new SettingsError(problems);
  const seed = seedNames(identity);
  const names = { sourceBucket: values.sourceBucketName ?? seed.sourceBucket, monitoredBucket: values.monitoredBucketName ?? seed.monitoredBucket, topic: seed.topic };
  for (const [key, name] of [
    ['sourceBucketName', names.sourceBucket],
    ['monitoredBucketName', names.monitoredBucket],
  ] as const) {
    const checked = bucketName.safeParse(name);
    if (!checked.success) problems.push(`${key}: "${name}" (from cohort, firstName and surname): ${checked.error.issues[0]!.message}; set ${key} to a shorter name`);
  }
  if (names.sourceBucket === names.monitoredBucket) problems.push('monitoredBucketName: must differ from the source bucket');
  if (!/^[\w-]{1,256}$/.test(names.topic)) problems.push(`cohort/firstName/surname: SNS topic name "${names.topic}" is invalid`);
  if (problems.length > 0) throw new SettingsError(problems);
  return {
    stackName: values.stackName,
    identity,
    operatorEmails: values.operatorEmails,
    operatorCidr: values.operatorCidr,
    hostInstanceType: values.hostInstanceType,
    panelInstanceType: values.panelInstanceType,
    databaseInstanceType: values.databaseInstanceType,
    destroyData: values.destroyData,
    names,
  };
}

/** The settings of the app this node belongs to. */
export function readSettings(node: Node): DeploymentSettings {
  return parseSettings(Object.fromEntries(CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key) as unknown])));
}
