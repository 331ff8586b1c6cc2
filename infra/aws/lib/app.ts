/**
 * The CDK app: the settings from context, the stack, and cdk-nag's AwsSolutions checks over all
 * of it (an unacknowledged finding fails the synth). bin/app.ts runs it for the CDK CLI; the
 * tests build the same app in memory.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { type DeploymentSettings, readSettings } from './settings';
import { StockflowStack } from './stockflow-stack';

export interface StockflowApp {
  app: App;
  stack: StockflowStack;
  settings: DeploymentSettings;
}

export function buildApp(app: App, options: { nag?: boolean } = {}): StockflowApp {
  const settings = readSettings(app.node);
  // Environment-agnostic on purpose: synth needs no AWS account, and the region and account come
  // from the credentials `cdk deploy` runs with (AZs are resolved by CloudFormation).
  const stack = new StockflowStack(app, settings.stackName, { settings });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, settings };
}
