#!/usr/bin/env node
// Runs a TypeScript entry point through tsx's ESM loader, so the CLI needs no build step.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { register } from 'tsx/esm/api';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts.js <file.ts> [args...]');
  process.exit(2);
}
register();
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
