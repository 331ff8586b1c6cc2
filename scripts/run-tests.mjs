#!/usr/bin/env node
// Runs every *.test.ts (unit tests beside the code, integration tests under test/) with node's
// test runner through tsx. Node 20's runner takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['server', 'components', 'infra', 'test', 'e2e'];
const skip = new Set(['node_modules', '.next', '.stockflow', 'dist', 'build']);

function findTests(folder) {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return skip.has(entry.name) ? [] : findTests(path);
    return /\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const files = roots.flatMap((root) => (/\.test\.tsx?$/.test(root) ? [root] : findTests(root))).sort();
if (files.length === 0) {
  console.error(`No test files found under ${roots.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: {
    ...process.env,
    // s3rver's paginated listing uses a hash OpenSSL 3 hides behind the legacy provider.
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--openssl-legacy-provider'].filter(Boolean).join(' '),
  },
});
process.exit(result.status ?? 1);
