import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

import type { Logger } from '../ports/logger';

const ROOT = resolve(import.meta.dirname ?? '.', '../..');
const SOURCES = ['app', 'components', 'server', 'public', 'next.config.ts', 'package.json'];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => (name === 'node_modules' ? newest : Math.max(newest, newestChange(join(path, name)))), info.mtimeMs);
}

function nextBin(): string {
  return createRequire(join(ROOT, 'package.json')).resolve('next/dist/bin/next');
}

/** Builds the control panel for production when there is no build or the sources are newer. */
export function ensureWebBuild(log: Logger): void {
  const buildId = join(ROOT, '.next', 'BUILD_ID');
  const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  if (builtAt > 0 && SOURCES.every((source) => newestChange(join(ROOT, source)) <= builtAt)) return;
  log.log('info', 'building the control panel (next build); the first start takes a minute…');
  const result = spawnSync(process.execPath, [nextBin(), 'build'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (result.status !== 0) throw new Error('next build failed (see above)');
}

/** `next start` in its own process, with the database the CLI opened. */
export function startWebServer(options: { port: number; databaseUrl: string; log: Logger }): ChildProcess {
  const child = spawn(process.execPath, [nextBin(), 'start', '-p', String(options.port), '-H', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DATABASE_URL: options.databaseUrl, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  });
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM' && signal !== 'SIGINT') options.log.log('error', `the web server stopped (${signal ?? `exit ${code}`})`);
  });
  return child;
}
