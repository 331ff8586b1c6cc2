/**
 * Runs the parts of one ordered output on several workers at once and hands the bytes back in
 * part order. The part being handed over waits in memory up to `aheadBytes`; the parts produced
 * ahead of it share another `aheadBytes`. Past that a producer is held inside its emit (for a
 * COPY stream the socket stops being read and PostgreSQL waits, still running its statement, so
 * no connection sits idle in its transaction while a slow reader catches up).
 * The first failure ends the whole output at the reader's next step; a reader that stops early
 * releases every held producer, whose own failures are then ignored. A worker with no part left
 * is handed to `onWorkerDone` at once (an export ends its connection's transaction there rather
 * than leave it idle while a slow reader takes the last megabytes).
 */
export type PartProducer<Worker> = (worker: Worker, part: number, emit: (bytes: Buffer) => Promise<void>) => Promise<void>;

const STOPPED = new Error('the ordered output was stopped by its reader');

class PartQueue {
  readonly buffers: Buffer[] = [];
  size = 0;
  ended = false;
}

export async function* inPartOrder<Worker>(
  workers: readonly Worker[],
  parts: number,
  produce: PartProducer<Worker>,
  aheadBytes: number,
  /** Called once a worker has no part left to make, while the reader may still be reading. */
  onWorkerDone?: (worker: Worker) => Promise<void>,
): AsyncGenerator<Buffer> {
  const queues = Array.from({ length: parts }, () => new PartQueue());
  let current = 0;
  let nextPart = 0;
  let failure: unknown = null;
  let stopped = false;
  // One wake-up for everybody: the reader waits for bytes, producers for room or their turn.
  let wake: () => void = () => {};
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const signal = (): void => {
    const resolve = wake;
    changed = new Promise<void>((next) => (wake = next));
    resolve();
  };

  const emitInto = (part: number) => async (bytes: Buffer) => {
    const queue = queues[part]!;
    const full = (): boolean => (part === current ? queue.size : bytesAhead()) >= aheadBytes;
    while (!stopped && failure === null && full()) await changed;
    if (stopped || failure !== null) throw failure ?? STOPPED;
    queue.buffers.push(bytes);
    queue.size += bytes.length;
    signal();
  };

  const bytesAhead = (): number => {
    let size = 0;
    for (let part = current + 1; part < nextPart; part += 1) size += queues[part]!.size;
    return size;
  };

  const runWorker = async (worker: Worker): Promise<void> => {
    for (;;) {
      if (stopped || failure !== null) return;
      if (nextPart >= parts) return await onWorkerDone?.(worker);
      const part = nextPart;
      nextPart += 1;
      await produce(worker, part, emitInto(part));
      queues[part]!.ended = true;
      signal();
    }
  };

  const running = workers.map((worker) =>
    runWorker(worker).catch((error: unknown) => {
      if (!stopped && failure === null) failure = error;
      signal();
    }),
  );

  try {
    for (; current < parts; current += 1) {
      signal();
      const queue = queues[current]!;
      for (;;) {
        if (failure !== null) throw failure;
        const bytes = queue.buffers.shift();
        if (bytes) {
          queue.size -= bytes.length;
          signal();
          yield bytes;
        } else if (queue.ended) break;
        else await changed;
      }
    }
    await Promise.all(running);
    if (failure !== null) throw failure;
  } finally {
    stopped = true;
    signal();
  }
}
