import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

import { ConfigError, loadConfig, loadLambdaConfig, parseBucketLocation } from './config';

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.dataDir, resolve('.stockflow'));
    assert.deepEqual(config.source, { kind: 'folder', bucket: resolve('.stockflow/buckets/source'), prefix: '', display: resolve('.stockflow/buckets/source') });
    assert.equal(config.embeddedPostgresPort, 54329);
    assert.equal(config.s3.forcePathStyle, false);
  });

  it('reads s3 locations, endpoints and identity', () => {
    const config = loadConfig({
      STOCKFLOW_SOURCE: 's3://my-bucket/raw/data',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      STOCKFLOW_COHORT: 'C7',
      DATABASE_URL: 'postgres://u@h/db',
    });
    assert.deepEqual(config.source, { kind: 's3', bucket: 'my-bucket', prefix: 'raw/data/', display: 's3://my-bucket/raw/data' });
    assert.equal(config.s3.forcePathStyle, true);
    assert.equal(config.identity.cohort, 'C7');
  });

  it('lists every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://x',
        STOCKFLOW_SOURCE: 's3://UPPER_case',
        S3_ENDPOINT: 'not a url',
        STOCKFLOW_FIRST_NAME: 'Jo Ann',
        STOCKFLOW_EMBEDDED_PG_PORT: '5432',
      });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError);
    const names = caught.problems.map((problem) => problem.split(':')[0]);
    assert.deepEqual(names.sort(), ['DATABASE_URL', 'S3_ENDPOINT', 'STOCKFLOW_EMBEDDED_PG_PORT', 'STOCKFLOW_FIRST_NAME', 'STOCKFLOW_SOURCE']);
    assert.match(caught.message, /Invalid configuration/);
  });

  it('treats blank variables as unset', () => {
    assert.equal(loadConfig({ DATABASE_URL: '' }).databaseUrl, undefined);
  });

  it('parses bucket locations', () => {
    assert.equal(parseBucketLocation('s3://b').prefix, '');
    assert.equal(parseBucketLocation('s3://b/p/').prefix, 'p/');
    assert.equal(parseBucketLocation('data', '/base').bucket, '/base/data');
  });

  it('reads the database CA file (DATABASE_CA_FILE over PGSSLROOTCERT) and PGSSLMODE', () => {
    assert.deepEqual(loadConfig({}).databaseTls, { sslMode: undefined, caFile: undefined });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://h/db', DATABASE_CA_FILE: '/etc/rds/global-bundle.pem', PGSSLROOTCERT: '/root.crt', PGSSLMODE: 'verify-full' }).databaseTls, {
      sslMode: 'verify-full',
      caFile: { path: '/etc/rds/global-bundle.pem', variable: 'DATABASE_CA_FILE' },
    });
    assert.deepEqual(loadConfig({ DATABASE_CA_FILE: '', PGSSLROOTCERT: '/root.crt' }).databaseTls.caFile, { path: '/root.crt', variable: 'PGSSLROOTCERT' });
    assert.throws(
      () => loadConfig({ PGSSLMODE: 'no-verify' }),
      (error: unknown) => error instanceof ConfigError && /^PGSSLMODE:/.test(error.problems[0] ?? ''),
    );
    assert.throws(
      () => loadConfig({ DATABASE_CA_FILE: '/ca.pem' }),
      (error: unknown) => error instanceof ConfigError && /^DATABASE_CA_FILE: applies to DATABASE_URL only/.test(error.problems[0] ?? ''),
    );
  });
});

describe('event settings', () => {
  const problemsOf = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((problem) => problem.split(':')[0]!);
      throw error;
    }
    return [];
  };

  it('takes events for the monitored bucket when it is s3://, else for STOCKFLOW_EVENTS_BUCKET', () => {
    assert.deepEqual(loadConfig({ STOCKFLOW_MONITORED: 's3://markers/daily' }).watch.eventsBucket, { kind: 's3', bucket: 'markers', prefix: 'daily/', display: 's3://markers/daily' });
    assert.equal(loadConfig({}).watch.eventsBucket, undefined);
    assert.deepEqual(loadConfig({ STOCKFLOW_EVENTS_BUCKET: 'markers' }).watch.eventsBucket, { kind: 's3', bucket: 'markers', prefix: '', display: 's3://markers' });
    assert.equal(loadConfig({ STOCKFLOW_MONITORED: 's3://markers/daily', STOCKFLOW_EVENTS_BUCKET: 's3://markers/daily/' }).watch.eventsBucket?.bucket, 'markers');
    assert.deepEqual(
      problemsOf(() => loadConfig({ STOCKFLOW_MONITORED: 's3://markers', STOCKFLOW_EVENTS_BUCKET: 'other' })),
      ['STOCKFLOW_EVENTS_BUCKET'],
    );
    assert.deepEqual(
      problemsOf(() => loadConfig({ STOCKFLOW_EVENTS_BUCKET: 'Not_A_Bucket' })),
      ['STOCKFLOW_EVENTS_BUCKET'],
    );
  });

  it('reads the SNS topic allowed to post events', () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:stockflow-markers';
    assert.equal(loadConfig({ STOCKFLOW_EVENTS_SNS_TOPIC_ARN: arn }).watch.eventsSnsTopicArn, arn);
    assert.deepEqual(
      problemsOf(() => loadConfig({ STOCKFLOW_EVENTS_SNS_TOPIC_ARN: 'stockflow-markers' })),
      ['STOCKFLOW_EVENTS_SNS_TOPIC_ARN'],
    );
  });

  it('gives the Lambda its monitored bucket (required) and an optional topic', () => {
    const airflow = { AIRFLOW_URL: 'http://airflow:8080', AIRFLOW_USERNAME: 'u', AIRFLOW_PASSWORD: 'p' };
    const config = loadLambdaConfig({ ...airflow, STOCKFLOW_MONITORED: 'markers' });
    assert.deepEqual([config.monitored.bucket, config.monitored.prefix, config.snsTopicArn], ['markers', '', undefined]);
    assert.equal(loadLambdaConfig({ ...airflow, STOCKFLOW_MONITORED: 's3://markers/in' }).monitored.prefix, 'in/');
    assert.deepEqual(
      problemsOf(() => loadLambdaConfig(airflow)),
      ['STOCKFLOW_MONITORED'],
    );
    assert.deepEqual(
      problemsOf(() => loadLambdaConfig({ ...airflow, STOCKFLOW_MONITORED: '/a/folder' })),
      ['STOCKFLOW_MONITORED'],
    );
  });

  it("takes the Lambda's Airflow password or the Secrets Manager secret holding it, exactly one", () => {
    const base = { AIRFLOW_URL: 'http://airflow:8080', AIRFLOW_USERNAME: 'u', STOCKFLOW_MONITORED: 'markers' };
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:stockflow/airflow-admin-AbCdEf';
    const fromSecret = loadLambdaConfig({ ...base, AIRFLOW_PASSWORD_SECRET_ARN: arn });
    assert.deepEqual([fromSecret.airflow.password, fromSecret.airflow.passwordSecretArn], [undefined, arn]);
    const plain = loadLambdaConfig({ ...base, AIRFLOW_PASSWORD: 'p' });
    assert.deepEqual([plain.airflow.password, plain.airflow.passwordSecretArn], ['p', undefined]);
    assert.deepEqual(
      problemsOf(() => loadLambdaConfig(base)),
      ['AIRFLOW_PASSWORD'],
    );
    assert.deepEqual(
      problemsOf(() => loadLambdaConfig({ ...base, AIRFLOW_PASSWORD: 'p', AIRFLOW_PASSWORD_SECRET_ARN: arn })),
      ['AIRFLOW_PASSWORD'],
    );
    assert.deepEqual(
      problemsOf(() => loadLambdaConfig({ ...base, AIRFLOW_PASSWORD_SECRET_ARN: 'stockflow/airflow-admin' })),
      ['AIRFLOW_PASSWORD_SECRET_ARN'],
    );
  });

  it('refuses service URLs that carry credentials (they would end up in logs and the panel)', () => {
    const problems = problemsOf(() => loadConfig({ STOCKFLOW_ORCHESTRATOR: 'airflow', AIRFLOW_URL: 'http://admin:secret@airflow:8080', S3_ENDPOINT: 'http://k:s@minio:9000' }));
    assert.deepEqual(problems.sort(), ['AIRFLOW_URL', 'S3_ENDPOINT']);
    assert.doesNotThrow(() => loadConfig({ STOCKFLOW_ORCHESTRATOR: 'airflow', AIRFLOW_URL: 'http://airflow:8080' }));
  });
});
