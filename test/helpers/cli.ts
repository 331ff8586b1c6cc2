import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve('bin/stockflow.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the stockflow CLI as its own process with only the given environment (plus PATH and HOME). */
export function stockflow(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const childEnv = { NODE_ENV: 'test', PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv;
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}
