/**
 * Entry point of the CDK CLI (infra/aws/cdk.json: `node ../../bin/run-ts.js bin/app.ts`):
 *   npm run synth | deploy | destroy  [-- -c cohort=... -c firstName=... -c surname=... ...]
 */
import { App } from 'aws-cdk-lib';

import { buildApp } from '../lib/app';
import { SettingsError } from '../lib/settings';

try {
  buildApp(new App());
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}
