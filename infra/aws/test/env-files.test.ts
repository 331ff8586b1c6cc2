/**
 * One schema: the settings the stack gives each part are what the product accepts.
 * - the Airflow host's infra/airflow/.env: every key of .env.example, every `${VAR:?}` of the
 *   compose files, and the scheduler's environment (compose interpolation) accepted by loadConfig;
 *   written by the very user-data commands the stack uses, run here with a stand-in `aws`;
 * - the panel's env file: accepted by loadConfig as an Airflow + EC2 panel;
 * - the Lambda's environment: only variables loadLambdaConfig reads, and accepted by it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { parse } from 'yaml';

import { CONFIG_VARIABLES, LAMBDA_CONFIG_VARIABLES, loadConfig, loadLambdaConfig } from '../../../server/config';
import { airflowHostEnv, type BootVariable, lambdaEnvironment, panelEnv, parseEnvFile, resolveEnv } from '../lib/env-files';
import { envFileCommands } from '../lib/user-data';
import { logicalId, renderIntrinsics, resourcesOf, synthesize, type Synthesized } from './synth';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const identity = { cohort: 'DE2401', firstName: 'Ada', surname: 'Lovelace' };
const stackValues = {
  region: REGION,
  sourceBucket: 'de2401-mbd-predict-ada-lovelace-s3-source',
  topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:DE2401-mbd-predict-Ada-Lovelace-SNS`,
  identity,
};
const secrets = {
  region: REGION,
  databaseSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:StockflowDatabasePostgresSecret-AbCdEf`,
  airflowSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:AirflowAdmin-GhIjKl`,
};
// What RDS generates may hold any printable character but " @ / \ ' (CDK's default exclusions);
// the URL must survive the worst of the rest.
const DB_PASSWORD = 'a:b?c#d%e&f=g+h$i`j!k~l[m]n{o}p;q,r<s>t|u^v*w(x)y z';
const DB_HOST = 'stockflow.abcdefghijkl.eu-west-1.rds.amazonaws.com';
const AIRFLOW_PASSWORD = 'Zq3RkT9vLm2XwP8sNb4YhC7dFg6JtA1e';

/** Sample boot values, for checks that do not run the commands. */
const boot: Record<BootVariable, string> = {
  DATABASE_URL: `postgres://stockflow:${encodeURIComponent(DB_PASSWORD)}@${DB_HOST}:5432/stockflow?sslmode=verify-full`,
  AIRFLOW_ADMIN_PASSWORD: AIRFLOW_PASSWORD,
  AIRFLOW_SECRET_KEY: 'a'.repeat(64),
  AIRFLOW_JWT_SECRET: 'b'.repeat(64),
  AIRFLOW_FERNET_KEY: 'c'.repeat(43) + '=',
};

// Compose's interpolation ($$, $NAME, ${NAME}, ${NAME:-x}, ${NAME-x}, ${NAME:?x}, ${NAME?x}).
const INTERPOLATION = /\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g;

function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(INTERPOLATION, (whole, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const set = env[name];
    if (operator === ':-') return set ? set : argument;
    if (operator === '-') return set ?? argument;
    if (operator === ':?' && !set) throw new Error(`compose stops: ${name}: ${argument}`);
    if (operator === '?' && set === undefined) throw new Error(`compose stops: ${name}: ${argument}`);
    return set ?? '';
  });
}

const COMPOSE_FILES = ['infra/airflow/docker-compose.yaml', 'infra/airflow/docker-compose.airflow2.yaml'];

/** The scheduler's environment (it runs the tasks, i.e. `stockflow step`), as compose builds it from .env. */
function schedulerEnvironment(file: string, env: Record<string, string>): Record<string, string> {
  const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };
  const environment = compose.services['airflow-scheduler']?.environment;
  assert.ok(environment, `${file} has an airflow-scheduler with an environment`);
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, interpolate(String(value), env)]));
}

function keysOf(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? []);
}

describe("the Airflow host's .env", () => {
  const entries = airflowHostEnv(stackValues);
  const env = resolveEnv(entries, boot);

  it('has exactly the keys of infra/airflow/.env.example, in its order', () => {
    assert.deepEqual(
      entries.map(([key]) => key),
      keysOf('infra/airflow/.env.example'),
    );
  });

  it('fills every value the compose files require (${VAR:?})', () => {
    for (const file of COMPOSE_FILES) {
      const required = [...readFileSync(file, 'utf8').matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)].map((match) => match[1]!);
      assert.ok(required.length >= 6, `${file}: found the required keys`);
      for (const name of required) assert.ok(env[name], `${file} requires ${name}`);
    }
  });

  it('gives the scheduler (which runs every task) settings loadConfig accepts: RDS over verify-full, S3, SNS, identity', () => {
    for (const file of COMPOSE_FILES) {
      const scheduler = schedulerEnvironment(file, env);
      const stockflowSettings = Object.fromEntries(Object.entries(scheduler).filter(([name]) => CONFIG_VARIABLES.includes(name)));
      const config = loadConfig(stockflowSettings);
      assert.equal(config.databaseUrl, boot.DATABASE_URL);
      assert.deepEqual(config.databaseTls.caFile, { path: '/opt/stockflow/certs/global-bundle.pem', variable: 'DATABASE_CA_FILE' });
      assert.deepEqual([config.source.kind, config.source.bucket, config.source.prefix], ['s3', stackValues.sourceBucket, '']);
      assert.equal(config.s3.region, REGION);
      assert.equal(config.s3.endpoint, undefined);
      assert.deepEqual(config.identity, identity);
      assert.deepEqual([config.mail.channel, config.mail.snsTopicArn, config.mail.smtpUrl], ['sns', stackValues.topicArn, undefined]);
    }
  });

  it('needs no quoting: every literal value is plain', () => {
    assert.throws(() => envFileCommands('/x', airflowHostEnv({ ...stackValues, sourceBucket: 'a bucket$x' }), secrets), /STOCKFLOW_SOURCE: .* would need quoting/);
  });
});

describe("the panel's env file", () => {
  const values = { ...stackValues, airflowUrl: 'http://10.0.0.12:8080', hostInstanceId: 'i-0123456789abcdef0', insecureCookies: false };

  it('is accepted by loadConfig as a panel driving Airflow and the EC2 host', () => {
    const env = resolveEnv(panelEnv(values), boot);
    const config = loadConfig(env);
    assert.equal(config.orchestrator, 'airflow');
    assert.deepEqual(config.airflow, { url: 'http://10.0.0.12:8080', apiVersion: 'v2', dagId: 'stockflow_pipeline', username: 'admin', password: AIRFLOW_PASSWORD });
    assert.deepEqual(config.host, { kind: 'ec2', instanceId: 'i-0123456789abcdef0', instanceName: undefined });
    assert.equal(config.databaseUrl, boot.DATABASE_URL);
    assert.deepEqual([config.mail.channel, config.mail.snsTopicArn], ['sns', stackValues.topicArn]);
    assert.deepEqual(
      Object.keys(env).filter((name) => !CONFIG_VARIABLES.includes(name)),
      [],
      'only settings the product reads',
    );
  });

  it('turns Secure cookies off only for plain-HTTP access from the operator CIDR', () => {
    const env = resolveEnv(panelEnv({ ...values, insecureCookies: true }), boot);
    assert.equal(env.STOCKFLOW_INSECURE_COOKIES, '1');
    assert.equal(resolveEnv(panelEnv(values), boot).STOCKFLOW_INSECURE_COOKIES, undefined);
  });
});

describe("the Lambda's environment", () => {
  const env = lambdaEnvironment({ airflowUrl: 'http://10.0.0.12:8080', passwordSecretArn: secrets.airflowSecretArn, monitoredBucket: 'de2401-mbd-predict-ada-lovelace-monitored-bucket' });

  it('holds only variables loadLambdaConfig reads, no password, and is accepted by it', () => {
    assert.deepEqual(
      Object.keys(env).filter((name) => !LAMBDA_CONFIG_VARIABLES.includes(name)),
      [],
    );
    assert.equal(env.AIRFLOW_PASSWORD, undefined);
    const config = loadLambdaConfig(env);
    assert.deepEqual(config.airflow, {
      url: 'http://10.0.0.12:8080',
      apiVersion: 'v2',
      dagId: 'stockflow_pipeline',
      username: 'admin',
      password: undefined,
      passwordSecretArn: secrets.airflowSecretArn,
    });
    assert.deepEqual([config.monitored.bucket, config.monitored.prefix], ['de2401-mbd-predict-ada-lovelace-monitored-bucket', '']);
  });
});

describe('the user-data commands that write the env files, run with a stand-in `aws`', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stockflow-userdata-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'secrets'));
    // `aws secretsmanager get-secret-value --region R --secret-id ID --query SecretString --output text`
    writeFileSync(
      join(dir, 'bin/aws'),
      [
        '#!/bin/bash',
        'set -eu',
        '[ "$1 $2" = "secretsmanager get-secret-value" ] || { echo "aws stand-in: unexpected $*" >&2; exit 2; }',
        'args=" $* "',
        `case "$args" in *" --region ${REGION} "*) ;; *) echo "aws stand-in: wrong region" >&2; exit 2 ;; esac`,
        'case "$args" in *" --query SecretString --output text "*) ;; *) echo "aws stand-in: not the SecretString as text" >&2; exit 2 ;; esac',
        'id="$(echo "$args" | sed -e "s/.* --secret-id \\([^ ]*\\) .*/\\1/")"',
        'cat "$SECRETS_DIR/$(echo "$id" | tr \':/\' \'__\')"',
      ].join('\n'),
    );
    chmodSync(join(dir, 'bin/aws'), 0o755);
    const store = (arn: string, value: object): void => writeFileSync(join(dir, 'secrets', arn.replace(/[:/]/g, '_')), `${JSON.stringify(value)}\n`);
    store(secrets.databaseSecretArn, { username: 'stockflow', password: DB_PASSWORD, engine: 'postgres', host: DB_HOST, port: 5432, dbname: 'stockflow', dbInstanceIdentifier: 'x' });
    store(secrets.airflowSecretArn, { username: 'admin', password: AIRFLOW_PASSWORD });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(file: string, entries: ReturnType<typeof airflowHostEnv>): Record<string, string> {
    const script = ['set -euo pipefail', ...envFileCommands(file, entries, secrets)].join('\n');
    const result = spawnSync('/bin/bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, SECRETS_DIR: join(dir, 'secrets') } });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'readable by root only');
    return parseEnvFile(readFileSync(file, 'utf8'));
  }

  it('writes the host .env: secrets read and encoded, keys generated, everything loadConfig and compose accept', () => {
    const written = run(join(dir, 'host.env'), airflowHostEnv(stackValues));
    assert.deepEqual(Object.keys(written), keysOf('infra/airflow/.env.example'));
    const url = new URL(written.DATABASE_URL!);
    assert.deepEqual(
      [url.username, decodeURIComponent(url.password), url.hostname, url.port, url.pathname, url.search],
      ['stockflow', DB_PASSWORD, DB_HOST, '5432', '/stockflow', '?sslmode=verify-full'],
    );
    assert.doesNotMatch(written.DATABASE_URL!, /[$`'"\s#]/, 'nothing compose or a shell would touch');
    assert.equal(written.AIRFLOW_ADMIN_PASSWORD, AIRFLOW_PASSWORD);
    assert.match(written.AIRFLOW_SECRET_KEY!, /^[0-9a-f]{64}$/);
    assert.match(written.AIRFLOW_JWT_SECRET!, /^[0-9a-f]{64}$/);
    assert.match(written.AIRFLOW_FERNET_KEY!, /^[A-Za-z0-9_-]{43}=$/, 'Fernet: 32 bytes, url-safe base64');
    assert.equal(Buffer.from(written.AIRFLOW_FERNET_KEY!, 'base64url').length, 32);
    for (const file of COMPOSE_FILES) {
      const scheduler = schedulerEnvironment(file, written);
      const config = loadConfig(Object.fromEntries(Object.entries(scheduler).filter(([name]) => CONFIG_VARIABLES.includes(name))));
      assert.equal(config.databaseUrl, written.DATABASE_URL);
    }
  });

  it('writes the panel env file loadConfig accepts', () => {
    const written = run(join(dir, 'panel.env'), panelEnv({ ...stackValues, airflowUrl: 'http://10.0.0.12:8080', hostInstanceId: 'i-0123456789abcdef0', insecureCookies: false }));
    const config = loadConfig(written);
    assert.equal(config.airflow.password, AIRFLOW_PASSWORD);
    assert.equal(decodeURIComponent(new URL(config.databaseUrl!).password), DB_PASSWORD);
  });
});

describe('the stack writes exactly these', () => {
  let synth: Synthesized;
  before(() => {
    synth = synthesize({}, { nag: false, cfnValidation: false });
  });
  after(() => synth.cleanup());

  /** The lines between `cat > FILE <<STOCKFLOW_ENV` and `STOCKFLOW_ENV` in an instance's user data. */
  function envFileOf(instanceId: string, file: string): string[] {
    const [, properties] = resourcesOf(synth.template, 'AWS::EC2::Instance').find(([id]) => id === instanceId)!;
    const text = renderIntrinsics(properties.UserData);
    const start = text.indexOf(`cat > '${file}' <<STOCKFLOW_ENV\n`);
    assert.ok(start >= 0, `the user data writes ${file}`);
    const body = text.slice(text.indexOf('\n', start) + 1);
    return body.slice(0, body.indexOf('\nSTOCKFLOW_ENV\n')).split('\n');
  }

  it("the host's user data writes airflowHostEnv() to infra/airflow/.env, boot values from the shell", () => {
    const lines = envFileOf(logicalId(synth.stack.host.instance), '/opt/stockflow/infra/airflow/.env');
    assert.deepEqual(
      lines.map((line) => line.split('=')[0]),
      airflowHostEnv(stackValues).map(([key]) => key),
    );
    assert.ok(lines.includes('DATABASE_URL=${DATABASE_URL}'));
    assert.ok(lines.includes('STOCKFLOW_COHORT=DE2401'));
    assert.ok(lines.includes(`SNS_TOPIC_ARN=<Ref:${logicalId(synth.stack.notifications.topic)}>`), lines.join('\n'));
  });

  it("the panel's user data writes panelEnv() to its env file", () => {
    const lines = envFileOf(logicalId(synth.stack.panel.instance), '/etc/stockflow/panel.env');
    assert.deepEqual(
      lines.map((line) => line.split('=')[0]),
      panelEnv({ ...stackValues, airflowUrl: '', hostInstanceId: '', insecureCookies: false }).map(([key]) => key),
    );
  });

  it('the Lambda gets lambdaEnvironment(), nothing more', () => {
    const [[, fn]] = resourcesOf(synth.template, 'AWS::Lambda::Function').filter(([, properties]) => properties.Handler === 'handler.handler') as [
      [string, { Environment: { Variables: Record<string, unknown> } }],
    ];
    assert.deepEqual(Object.keys(fn.Environment.Variables).sort(), Object.keys(lambdaEnvironment({ airflowUrl: '', passwordSecretArn: '', monitoredBucket: '' })).sort());
  });
});
