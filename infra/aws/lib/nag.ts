/**
 * cdk-nag (AwsSolutions) findings the stack accepts, each with its reason, recorded where the
 * construct is made. cdk-nag 3 uses CDK's own acknowledgements (Validations.of().acknowledge):
 * an unacknowledged finding fails `cdk synth` and the tests; acknowledged ones are listed with
 * their reasons in cdk.out/*validation report* (and by infra/aws/test/nag.test.ts).
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one finding on `scope` and everything under it. `id` is the rule, or the rule
 * with the finding in brackets (e.g. `AwsSolutions-IAM5[Resource::*]`): wildcard findings are
 * acknowledged one by one.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`acknowledging ${id} needs a reason that says why (got "${reason}")`);
  Validations.of(scope).acknowledge({ id, reason });
}

/** How cdk-nag names a wildcard resource built on a resource of this stack: `<LogicalId.Arn>/suffix` or `<LogicalId>suffix`. */
export function wildcardFinding(resource: IConstruct, attribute: 'Arn' | 'Ref', suffix: string): string {
  const element = resource.node.defaultChild as CfnElement;
  const logicalId = Stack.of(resource).getLogicalId(element);
  return `AwsSolutions-IAM5[Resource::<${logicalId}${attribute === 'Arn' ? '.Arn' : ''}>${suffix}]`;
}
