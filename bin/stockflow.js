#!/usr/bin/env node
// The `stockflow` command: loads the TypeScript CLI through tsx (no build step needed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli/main.ts');
const code = await main(process.argv.slice(2));
// tsx's loader resets process.exitCode on its way out, so exit explicitly once output is flushed.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
