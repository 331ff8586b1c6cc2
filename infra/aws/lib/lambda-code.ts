/**
 * The trigger Lambda's code: infra/lambda/src/handler.ts bundled by infra/lambda/build.mjs (the
 * same esbuild step as `npm run build:lambda` and the Lambda's tests), run at synth time through
 * CDK's local bundling: offline, no Docker. The asset hash is the bundle's, so an unchanged
 * handler does not redeploy the function.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

import { REPOSITORY_ROOT } from './source-archive';

const LAMBDA_DIR = join(REPOSITORY_ROOT, 'infra/lambda');

export function triggerCode(): lambda.Code {
  return lambda.Code.fromAsset(LAMBDA_DIR, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API, never pulled: local bundling below always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-bookworm-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          const result = spawnSync(process.execPath, [join(LAMBDA_DIR, 'build.mjs'), join(outputDir, 'handler.mjs')], { cwd: REPOSITORY_ROOT, encoding: 'utf8' });
          if (result.status !== 0) throw new Error(`bundling the trigger Lambda failed:\n${result.stderr || result.stdout || result.error?.message}`);
          return true;
        },
      },
    },
  });
}
