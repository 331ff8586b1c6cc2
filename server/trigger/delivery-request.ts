import { timingSafeEqual } from 'node:crypto';

/** The largest event delivery read; S3, SNS, EventBridge and SQS bodies are a few KiB. */
export const MAX_DELIVERY_BYTES = 1 << 20;

export interface DeliveryCredentials {
  authorization: string | null;
  secretHeader: string | null;
  tokenQuery: string | null;
}

export type DeliveryRead = { ok: true; body: string } | { ok: false; status: number; error: string };

function secretMatches(given: string | null, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The shared secret as a bearer token, an x-stockflow-secret header or ?token= (SNS can only carry the URL). */
export function deliveryAuthorized(credentials: DeliveryCredentials, secret: string): boolean {
  const bearer = credentials.authorization?.startsWith('Bearer ') ? credentials.authorization.slice('Bearer '.length) : null;
  return [bearer, credentials.secretHeader, credentials.tokenQuery].some((given) => secretMatches(given, secret));
}

/**
 * Reads an event delivery only once it may be read: the secret and the declared length are checked
 * before any of the body, and the body stops being read past the cap, so an unauthenticated or huge
 * request costs nothing (a 300 MB body used to be buffered whole first).
 */
export async function readDelivery(credentials: DeliveryCredentials, contentLength: string | null, body: AsyncIterable<Uint8Array> | null, secret: string): Promise<DeliveryRead> {
  if (!deliveryAuthorized(credentials, secret)) return { ok: false, status: 401, error: 'missing or wrong shared secret' };
  if (contentLength !== null && Number(contentLength) > MAX_DELIVERY_BYTES) return { ok: false, status: 413, error: 'body too large' };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body ?? []) {
    size += chunk.byteLength;
    // Leaving the loop ends the iteration: a web stream is cancelled, a Node stream destroyed.
    if (size > MAX_DELIVERY_BYTES) return { ok: false, status: 413, error: 'body too large' };
    chunks.push(Buffer.from(chunk));
  }
  return { ok: true, body: Buffer.concat(chunks).toString('utf8') };
}
