import { PassThrough, type Readable, type Writable } from 'node:stream';

export async function streamToString(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes with backpressure: waits for 'drain' when the stream's buffer is full, and fails (never
 * hangs) when the stream errors or closes meanwhile.
 */
export async function writeChunk(stream: Writable, chunk: string | Buffer): Promise<void> {
  if (stream.errored) throw stream.errored;
  if (stream.destroyed || stream.writableEnded) throw new Error('write after the stream was closed');
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(stream.errored ?? new Error('stream closed before it drained'));
    };
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** Runs `work` over items with at most `limit` in flight; stops starting new work after a failure. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * A stream whose bytes `put` uploads. A failed upload destroys the stream (no writing into a
 * stream nobody reads), and the writer may destroy it with its own error before the upload has
 * attached a reader (puts load their SDK lazily): that error is the writer's to report, so it is
 * never an unhandled 'error' event that would crash the process.
 */
export function uploadStream(put: (body: Readable) => Promise<void>, highWaterMark?: number): { stream: PassThrough; done: Promise<void> } {
  const stream = new PassThrough(highWaterMark === undefined ? {} : { highWaterMark });
  stream.on('error', () => {});
  const done = put(stream);
  done.catch((error: unknown) => stream.destroy(error as Error));
  return { stream, done };
}
