/** Tries of one S3 request that stockflow retries itself (the SDK's standard mode also makes three). */
export const S3_ATTEMPTS = 3;

/** An answer S3 means as "try again": a server error, throttling, or a request it gave up waiting for. */
export function s3SaysTryAgain(status: number, code: string): boolean {
  return status >= 500 || status === 429 || code === 'SlowDown' || code === 'RequestTimeout';
}
