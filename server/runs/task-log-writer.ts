import type { Logger, LogLevel } from '../ports/logger';
import type { NewLogLine, RunRepository } from './run-repository';

const FLUSH_EVERY_MS = 250;
const FLUSH_AT_LINES = 200;

/**
 * A step try's logger: lines go to stockflow.task_logs in small batches (readable while the step
 * runs, without a round trip per line) and are echoed to the worker's own log.
 */
export class TaskLogWriter implements Logger {
  private buffer: NewLogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly runs: RunRepository,
    private readonly runId: string,
    private readonly step: string,
    private readonly tryNumber: number,
    private readonly echo?: Logger,
  ) {}

  log(level: LogLevel, message: string): void {
    this.buffer.push({ runId: this.runId, step: this.step, tryNumber: this.tryNumber, level, message, at: new Date() });
    this.echo?.log(level, `[${this.runId} ${this.step}#${this.tryNumber}] ${message}`);
    if (this.buffer.length >= FLUSH_AT_LINES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /** Writes what is buffered; lines are written in order even when flushes overlap. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const lines = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing
      .then(() => this.runs.appendLogs(lines))
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        // A step stopped at shutdown may log once more after the pool closed: those lines went to the echo already.
        if (/pool after calling end/.test(message)) return;
        this.echo?.log('error', `could not store ${lines.length} log lines: ${message}`);
      });
    return this.flushing;
  }

  close(): Promise<void> {
    return this.flush();
  }
}
