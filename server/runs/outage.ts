// Telling "the database is away right now" (worth waiting for) from "this query is wrong" (not).

/** Socket errors and SQLSTATEs of a server that is down, restarting or cut off (class 08 too). */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);

/** The same, for errors known only by their text (node-pg's own, or a step's recorded error). */
const UNAVAILABLE_TEXT =
  /Connection terminated|terminating connection due to|the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect|connect ECONNREFUSED|read ECONNRESET|server closed the connection unexpectedly/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  // Node tries every address of a host name and reports them together.
  if (error instanceof AggregateError && error.errors.some(isDatabaseUnavailable)) return true;
  return UNAVAILABLE_TEXT.test(error.message);
}

export function isOutageMessage(message: string | null | undefined): boolean {
  return message ? UNAVAILABLE_TEXT.test(message) : false;
}

/** base, 2 base, 4 base, ... capped at max. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

export interface WaitOptions {
  /** Give up (rethrow the last error) after this long. */
  deadlineMs: number;
  baseMs?: number;
  maxMs?: number;
  /** Told once, at the first failure, that we are waiting. */
  onWait?: (error: unknown) => void;
  /** Stop waiting early (Ctrl-C): rethrows the last error. */
  signal?: AbortSignal;
}

/** Runs `work` until it stops failing for lack of a database, waiting longer each time; other errors pass through. */
export async function retryWhileUnavailable<T>(work: () => Promise<T>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.deadlineMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() >= deadline || options.signal?.aborted) throw error;
      if (attempt === 1) options.onWait?.(error);
      const delay = Math.min(backoffDelay(attempt, options.baseMs ?? 250, options.maxMs ?? 5000), Math.max(0, deadline - Date.now()));
      await abortableDelay(delay, options.signal);
    }
  }
}

function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
