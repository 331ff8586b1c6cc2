/**
 * Builds the app the CDK CLI builds (lib/app.ts), in memory, into a temporary cloud assembly:
 * offline, no AWS account (the stack is environment-agnostic). One synth per test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

import { buildApp, type StockflowApp } from '../lib/app';

/** What every test deployment is named after (an operator would pass these with -c). */
export const TEST_CONTEXT = {
  cohort: 'DE2401',
  firstName: 'Ada',
  surname: 'Lovelace',
  operatorEmails: 'ada@example.com,edsa.predicts@example.org',
} as const;

export interface Synthesized extends StockflowApp {
  template: Template;
  /** The cloud assembly (templates, assets, validation-report.json). */
  outdir: string;
  /** Deletes the temporary cloud assembly. */
  cleanup(): void;
}

export interface SynthOptions {
  /** cdk-nag AwsSolutions (on, as in `cdk synth`). */
  nag?: boolean;
  /** CDK's built-in CloudFormation schema validation (~6 s; on, as in `cdk synth`). */
  cfnValidation?: boolean;
}

export function synthesize(context: Record<string, string> = {}, options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'stockflow-cdk-test-'));
  const app = new App({ outdir, context: { ...TEST_CONTEXT, ...context }, builtinCloudFormationValidation: options.cfnValidation ?? true });
  const built = buildApp(app, { nag: options.nag });
  // Synthesizes the whole app (and runs cdk-nag when on: in memory, a finding throws here).
  const template = Template.fromStack(built.stack);
  return { ...built, template, outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** The template's resources of one type, as [logicalId, properties]. */
export function resourcesOf(template: Template, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.findResources(type)).map(([id, resource]) => [id, (resource as { Properties?: Record<string, unknown> }).Properties ?? {}]);
}

/** The logical id CloudFormation knows a construct's resource by. */
export function logicalId(construct: IConstruct): string {
  const element = (CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement;
  // Resolved, not allocated: an instance whose user data causes replacement gets a suffixed id.
  return Stack.of(construct).resolve(element.logicalId) as string;
}

/** `{ "Fn::GetAtt": [id, attribute] }` as the template writes it. */
export const getAtt = (construct: IConstruct, attribute: string): unknown => ({ 'Fn::GetAtt': [logicalId(construct), attribute] });
export const ref = (construct: IConstruct): unknown => ({ Ref: logicalId(construct) });

/** CloudFormation intrinsics flattened to text (`<Ref:id>`, `<GetAtt:id.attribute>`), to read user data and outputs. */
export function renderIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const object = value as Record<string, unknown>;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(renderIntrinsics).join(separator);
  }
  if ('Fn::Base64' in object) return renderIntrinsics(object['Fn::Base64']);
  if ('Ref' in object) return `<Ref:${String(object.Ref)}>`;
  if ('Fn::GetAtt' in object) return `<GetAtt:${(object['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Sub' in object && typeof object['Fn::Sub'] === 'string') return object['Fn::Sub'];
  return JSON.stringify(value);
}
