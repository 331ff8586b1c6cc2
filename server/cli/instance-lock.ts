import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `stockflow start` runs already for this data dir. */
export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number,
    dataDir: string,
  ) {
    super(`already running (pid ${pid}, data in ${dataDir}); stop it first (Ctrl-C in its terminal, or: kill ${pid})`);
    this.name = 'AlreadyRunningError';
  }
}

/**
 * One `stockflow start` per data dir, claimed before anything else happens (a second one would
 * rebuild the panel under the running one, fail on the port, and run as a second worker): the
 * pid file names the process that runs it; a file left by a process that is gone is taken over.
 * The file goes when this process exits.
 */
export function claimStartInstance(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'start.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      process.once('exit', () => {
        if (readPid(file) === process.pid) rmSync(file, { force: true });
      });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = readPid(file);
      if (pid !== null && pid !== process.pid && isAlive(pid)) throw new AlreadyRunningError(pid, dataDir);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not claim ${file}: another start is starting right now`);
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
