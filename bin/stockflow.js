#!/usr/bin/env node
// The `stockflow` command. It runs the compiled CLI (build/cli/, built by `npm ci`'s prepare step)
// while that is newer than every source it was built from; otherwise (sources edited since) it
// compiles the TypeScript at start through tsx, which is slower (about a second) but always current.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}build/cli/stockflow.mjs`;
const SOURCES = ['server', 'sql', 'package-lock.json'];

function newestChange(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(`${path}/${name}`)), info.mtimeMs);
}

function bundleIsCurrent() {
  if (process.env.STOCKFLOW_CLI_FROM_SOURCE === '1' || !existsSync(bundle)) return false;
  const builtAt = statSync(bundle).mtimeMs;
  return SOURCES.every((source) => !existsSync(`${root}${source}`) || newestChange(`${root}${source}`) <= builtAt);
}

let main;
if (bundleIsCurrent()) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../server/cli/main.ts'));
}
const code = await main(process.argv.slice(2));
// tsx's loader resets process.exitCode on its way out, so exit explicitly once output is flushed.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
