// Bundles the Lambda into one ESM file for the nodejs22.x runtime (no node_modules to upload).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export async function buildLambda(outfile = join(here, 'dist/handler.mjs')) {
  await build({
    entryPoints: [join(here, 'src/handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    sourcemap: true,
    // ESM bundles of CommonJS dependencies need a require().
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = await buildLambda(process.argv[2]);
  console.log(`built ${outfile}`);
}
