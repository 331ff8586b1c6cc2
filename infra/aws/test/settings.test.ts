import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseSettings, seedNames, SettingsError } from '../lib/settings';

const problemsOf = (raw: Parameters<typeof parseSettings>[0]): string[] => {
  try {
    parseSettings(raw);
  } catch (error) {
    if (error instanceof SettingsError) return error.problems.map((problem) => problem.split(':')[0]!);
    throw error;
  }
  return [];
};

describe('deployment settings (CDK context)', () => {
  it("derive the seed's names from cohort, first name and surname", () => {
    const settings = parseSettings({ cohort: 'DE2401', firstName: 'Ada', surname: 'Lovelace', operatorEmails: ' ada@example.com, ops@example.org ' });
    assert.deepEqual(settings.names, {
      sourceBucket: 'de2401-mbd-predict-ada-lovelace-s3-source',
      monitoredBucket: 'de2401-mbd-predict-ada-lovelace-monitored-bucket',
      topic: 'DE2401-mbd-predict-Ada-Lovelace-SNS',
    });
    assert.deepEqual(settings.operatorEmails, ['ada@example.com', 'ops@example.org']);
    assert.deepEqual(
      [settings.hostInstanceType, settings.panelInstanceType, settings.databaseInstanceType, settings.destroyData, settings.operatorCidr],
      ['t3.medium', 't3.micro', 't4g.micro', false, undefined],
    );
  });

  it('run on defaults when nothing is given (synth needs no context), as the product does', () => {
    assert.deepEqual(parseSettings({}).identity, { cohort: 'Cohort', firstName: 'Stock', surname: 'Flow' });
  });

  it('take values as -c gives them (strings) or as cdk.json may hold them', () => {
    assert.equal(parseSettings({ destroyData: 'true' }).destroyData, true);
    assert.equal(parseSettings({ destroyData: false }).destroyData, false);
    assert.deepEqual(parseSettings({ operatorEmails: ['a@example.com'] }).operatorEmails, ['a@example.com']);
    assert.equal(parseSettings({ sourceBucketName: 'my-own-source' }).names.sourceBucket, 'my-own-source');
  });

  it('refuse, all at once, what the product or AWS would refuse later', () => {
    assert.deepEqual(
      problemsOf({ firstName: 'Jo Ann', surname: "O'Neil", operatorEmails: 'not-an-address', hostInstanceType: 'large', destroyData: 'yes', databaseInstanceType: 'r6g.large' }).sort(),
      ['databaseInstanceType', 'destroyData', 'firstName', 'hostInstanceType', 'operatorEmails', 'surname'].sort(),
    );
    // The identity rules are loadConfig's (STOCKFLOW_FIRST_NAME...), reported under the context keys.
    assert.deepEqual(problemsOf({ firstName: 'Jo Ann', surname: "O'Neil" }).sort(), ['firstName', 'surname']);
  });

  it('refuse bucket names S3 would refuse, and say how to fix them', () => {
    const long = { cohort: 'A-very-long-cohort-name', firstName: 'Maximiliana', surname: 'Featherstonehaugh' };
    assert.ok(seedNames(long).monitoredBucket.length > 63);
    assert.throws(() => parseSettings(long), /monitoredBucketName: .* set monitoredBucketName to a shorter name/);
    assert.doesNotThrow(() => parseSettings({ ...long, sourceBucketName: 'a-source', monitoredBucketName: 'a-monitored' }));
    assert.deepEqual(problemsOf({ sourceBucketName: 'Upper_Case' }), ['sourceBucketName']);
  });

  it('take an operator CIDR only when it names a network, never the internet', () => {
    assert.equal(parseSettings({ operatorCidr: '203.0.113.7/32' }).operatorCidr, '203.0.113.7/32');
    for (const cidr of ['0.0.0.0/0', '10.0.0.0/8', '203.0.113.7', '300.1.1.1/32', '::/0', '2001:db8::/64']) assert.deepEqual(problemsOf({ operatorCidr: cidr }), ['operatorCidr'], cidr);
  });
});
