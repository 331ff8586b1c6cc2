import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseBucketLocation } from './config';

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
});
