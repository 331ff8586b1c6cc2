import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

import { waitFor } from '../../helpers/runner';

const BIN = resolve('bin/stockflow.js');

/** A `stockflow` command running as a real process, its output collected as it comes. */
export interface CliProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Settles when the process has exited (code, or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Still running? */
  readonly running: boolean;
  /** Waits for the exit, up to `timeoutMs`; SIGKILLs it and throws past that. */
  waitForExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (test cleanup). */
  kill(): Promise<void>;
}

/**
 * Starts `stockflow ARGS` with only the given settings (plus PATH and HOME). `groupLeader` puts it
 * in a process group of its own, so a test can send Ctrl-C the way a terminal does: to the group.
 */
export function startCli(args: string[], env: Record<string, string>, options: { groupLeader?: boolean } = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env } as NodeJS.ProcessEnv,
    detached: options.groupLeader === true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let running = true;
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('close', (code, signal) => {
      running = false;
      resolveExit({ code, signal });
    });
  });
  const cli: CliProcess = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get running() {
      return running;
    },
    exited,
    async waitForExit(timeoutMs = 30_000) {
      const timer = new Promise<'timeout'>((resolveTimer) => setTimeout(() => resolveTimer('timeout'), timeoutMs).unref());
      const result = await Promise.race([exited, timer]);
      if (result !== 'timeout') return result;
      await cli.kill();
      throw new Error(`stockflow ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr:\n${stderr}`);
    },
    async kill() {
      if (!running) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  return cli;
}

/** Waits for a line of the process's stderr to match, failing early when the process exits. */
export async function waitForStderr(cli: CliProcess, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `stderr to match ${pattern}`,
    async () => {
      if (pattern.test(cli.stderr)) return true;
      if (!cli.running) throw new Error(`the process exited before its stderr matched ${pattern}:\n${cli.stderr}`);
      return false;
    },
    timeoutMs,
  );
}

/** Runs a probe that may fail while a database is down: a failure counts as "not yet". */
export function tolerant<T>(probe: () => Promise<T | null | undefined | false>): () => Promise<T | null | undefined | false> {
  return () => probe().catch(() => null);
}
