/** Runs `work` now and again `intervalMs` after each pass ends, until stopped; errors go to `onError`. */
export class PollingLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly work: () => Promise<unknown>, private readonly intervalMs: number, private readonly onError: (error: unknown) => void) {}

  start(): void {
    const tick = (): void => {
      this.running = this.work()
        .catch(this.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
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
}
