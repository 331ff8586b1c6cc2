/**
 * cdk-nag's AwsSolutions pack over the whole app, as `cdk synth` runs it: no finding left
 * unacknowledged, every acknowledgement with its reason and still needed, and CloudFormation's
 * own schema checks clean. Both shapes of the stack: the default one, and destroyData=true with
 * an operator CIDR (CDK's bucket-emptying function, the panel's ingress rule).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

import { buildApp } from '../lib/app';
import { synthesize, TEST_CONTEXT } from './synth';

interface Finding {
  path: string;
  ruleId: string;
  acknowledged: boolean;
}

/** AwsSolutionsChecks that also records every finding, acknowledged or not. */
class RecordingChecks extends AwsSolutionsChecks {
  readonly findings: Finding[] = [];
  constructor() {
    super();
    const self = this as unknown as { isAcknowledged(resource: IConstruct, ruleId: string): boolean };
    const isAcknowledged = self.isAcknowledged.bind(this);
    self.isAcknowledged = (resource, ruleId) => {
      const acknowledged = isAcknowledged(resource, ruleId);
      this.findings.push({ path: resource.node.path, ruleId, acknowledged });
      return acknowledged;
    };
  }
}

interface Acknowledgement {
  path: string;
  rule: string;
  reason: string;
}

/** Every AwsSolutions acknowledgement in the tree, where it was made. */
function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ path: construct.node.path, rule: id.replace(/^annotation::/i, ''), reason }))
      .filter((acknowledgement) => acknowledgement.rule.startsWith('AwsSolutions-')),
  );
}

// The default shape synthesizes exactly as `cdk synth` does (cdk-nag as a validation plugin, and
// CloudFormation's schema checks); the other adds only resources, checked by the same pack directly.
for (const [label, context, asTheCliDoes] of [
  ['default context', {}, true],
  ['destroyData=true, operator CIDR', { destroyData: 'true', operatorCidr: '203.0.113.7/32' }, false],
] as const) {
  describe(`cdk-nag AwsSolutions, ${label}`, () => {
    it('has no unacknowledged finding, and every acknowledgement has a reason and is needed', () => {
      const synth = synthesize(context, { nag: asTheCliDoes, cfnValidation: asTheCliDoes });
      try {
        if (asTheCliDoes) {
          const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
          assert.deepEqual(report.pluginReports, [], 'no finding of any plugin, CloudFormation schema warnings included');
        }

        const checks = new RecordingChecks();
        const result = checks.validateScope(synth.app);
        assert.deepEqual(result.violations, [], 'no unacknowledged finding');
        assert.ok(checks.findings.length >= 10, 'the pack did look');

        const acknowledgements = acknowledgementsIn(synth.app);
        assert.ok(acknowledgements.length > 0);
        for (const acknowledgement of acknowledgements) {
          assert.ok(acknowledgement.reason.length >= 40, `${acknowledgement.rule} at ${acknowledgement.path}: the reason says why`);
        }
        const covers = (acknowledgement: Acknowledgement, finding: Finding): boolean =>
          finding.acknowledged && finding.ruleId === acknowledgement.rule && (finding.path === acknowledgement.path || finding.path.startsWith(`${acknowledgement.path}/`));
        const stale = acknowledgements.filter((acknowledgement) => !checks.findings.some((finding) => covers(acknowledgement, finding)));
        assert.deepEqual(
          stale.map((acknowledgement) => `${acknowledgement.rule} at ${acknowledgement.path}`),
          [],
          'acknowledgements that acknowledge nothing: remove them',
        );
      } finally {
        synth.cleanup();
      }
    });
  });
}

describe('cdk-nag as a gate', () => {
  it('fails the synth on a finding nobody acknowledged', () => {
    const { stack } = buildApp(new App({ context: TEST_CONTEXT, builtinCloudFormationValidation: false }));
    new s3.Bucket(stack, 'CarelessBucket');
    let failure: unknown;
    try {
      Template.fromStack(stack);
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof Error, 'the synth must fail');
    const reportFile = /found in: (\S+validation-report\.json)/.exec(failure.message)?.[1];
    const report = reportFile ? readFileSync(reportFile, 'utf8') : failure.message;
    assert.match(report, /AwsSolutions-S10/, 'no TLS-only policy');
    assert.match(report, /Stockflow\/CarelessBucket\/Resource/);
  });
});
