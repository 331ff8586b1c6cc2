/**
 * At most a few password hashes at once. scrypt runs on libuv's small thread pool (4 threads),
 * which file reads and DNS share: 60 parallel sign-ins used to stall every page for seconds. Beyond
 * the queue limit a sign-in is refused at once rather than queued without end.
 */
export class HashingGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Most hashes ever running at once (for tests and metrics). */
  highWater = 0;

  constructor(
    private readonly concurrency = 2,
    private readonly maxQueue = 50,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) throw new SignInBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running += 1;
    this.highWater = Math.max(this.highWater, this.running);
    try {
      return await work();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

export class SignInBusyError extends Error {
  readonly expose = true;
  constructor() {
    super('Too many sign-ins at once; try again in a moment.');
    this.name = 'SignInBusyError';
  }
}
