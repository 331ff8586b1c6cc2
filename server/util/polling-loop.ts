// While passes keep failing, the wait doubles up to this (or the interval, when longer).
const MAX_BACKOFF_MS = 30_000;
// The same error is reported again at most this often while it lasts.
const REPEAT_REPORT_MS = 60_000;

/**
 * Runs `work` now and again `intervalMs` after each pass ends, until stopped; errors go to `onError`.
 * While passes keep failing (a database that is down, say) the wait doubles, so an outage is not
 * hammered, and the same error is reported once a minute rather than at every pass.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private failures = 0;
  private lastReport = { message: '', at: 0 };

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    const tick = (): void => {
      this.running = this.work()
        .then(
          () => {
            this.failures = 0;
          },
          (error: unknown) => {
            this.failures += 1;
            this.report(error);
          },
        )
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.nextWait());
        });
    };
    tick();
  }

  /** Stops after the pass in progress, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private nextWait(): number {
    if (this.failures === 0) return this.intervalMs;
    return Math.min(this.intervalMs * 2 ** this.failures, Math.max(this.intervalMs, MAX_BACKOFF_MS));
  }

  private report(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    if (this.failures > 1 && message === this.lastReport.message && now - this.lastReport.at < REPEAT_REPORT_MS) return;
    this.lastReport = { message, at: now };
    this.onError(error);
  }
}
