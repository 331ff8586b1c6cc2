import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Checks a request's SigV4 Authorization header the way S3 does (AWS's "Signature Calculations for
 * the Authorization Header"), written from the documentation and not from the SDK, so a request
 * signed wrongly by our own code cannot pass by agreeing with itself. s3rver does not check V4
 * signatures at all. Returns null when the signature holds, else what differs.
 */
export function sigV4Mismatch(request: { method: string; rawPath: string; headers: IncomingHttpHeaders }, secretAccessKey: string): string | null {
  const authorization = String(request.headers.authorization ?? '');
  const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!parsed) return `not a SigV4 Authorization header: ${authorization || '(none)'}`;
  const [, , day, region, service, signedHeaderList, signature] = parsed as unknown as string[];
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day!)) return `x-amz-date ${amzDate} is not of the credential's day ${day}`;
  const payloadHash = request.headers['x-amz-content-sha256'];
  if (typeof payloadHash !== 'string') return 'no x-amz-content-sha256 header (S3 requires it)';
  const signedHeaders = signedHeaderList!.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) if (!signedHeaders.includes(required)) return `${required} is not signed`;
  if (request.headers['x-amz-security-token'] !== undefined && !signedHeaders.includes('x-amz-security-token')) return 'x-amz-security-token is not signed';

  const [path = '/', query = ''] = request.rawPath.split('?', 2);
  const canonicalRequest = [
    request.method,
    canonicalUri(path),
    canonicalQuery(query),
    signedHeaders.map((name) => `${name}:${headerValue(request.headers[name])}\n`).join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${secretAccessKey}`, day!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature ? null : `signature does not match; canonical request:\n${canonicalRequest}`;
}

/** S3 decodes the path and encodes each segment once more (RFC 3986 unreserved characters kept). */
function canonicalUri(path: string): string {
  return path
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .map((pair) => {
      const [name = '', value = ''] = pair.split('=', 2);
      return [uriEncode(decodeURIComponent(name)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function headerValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
