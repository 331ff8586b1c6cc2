import type { LogFilter, RunRepository } from './run-repository';

const PAGE_LINES = 5000;

/** One log line as the downloaded text file has it. */
export function logLineText(line: { at: string; level: string; message: string }): string {
  return `${line.at} ${line.level.toUpperCase().padEnd(5)} ${line.message}\n`;
}

/**
 * A step's whole log as text, read from the database a page at a time: a million-line log is
 * never held in memory, and the first bytes leave before the last lines are read.
 */
export async function* logTextPages(runs: RunRepository, runId: string, step: string, filter: LogFilter = {}): AsyncGenerator<string> {
  let after: string | null = null;
  for (;;) {
    const page = await runs.readLog(runId, step, { ...filter, after, limit: PAGE_LINES });
    if (page.lines.length === 0) return;
    yield page.lines.map(logLineText).join('');
    if (page.lines.length < PAGE_LINES) return;
    after = page.cursor;
  }
}
