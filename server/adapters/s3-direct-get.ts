import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { SignatureV4 } from '@smithy/signature-v4';

import { S3_ATTEMPTS, s3SaysTryAgain } from './s3-retry';

/** SHA-256 of an empty body: a GET's payload hash, the value the SDK itself sends. */
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ERROR_BODY_LIMIT = 64 * 1024;
/** As the SDK's standard retry mode: jittered waits from 100 ms between tries. */
const FIRST_BACKOFF_MS = 100;
/** S3's answer to a signature dated too far from its own clock. */
const CLOCK_SKEW_CODES = new Set(['RequestTimeTooSkewed', 'RequestExpired']);
const RETRIED_NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** S3's answer to a GET was not the object. */
export class S3GetError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The Date header of S3's answer, when it sent one. */
    readonly serverDate?: string,
  ) {
    super(message);
    this.name = code || 'S3GetError';
  }
}

class S3TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

export interface DirectGetter {
  /** The object's body as the socket delivers it; throws S3GetError for any status but 200. */
  get(fullKey: string): Promise<Readable>;
}

export interface DirectGetTimeouts {
  connectMs: number;
  /** Longest silence on the connection (awaiting the answer or mid-body). */
  idleMs: number;
}

/**
 * GETs signed with the SDK's own SigV4 signer, endpoint rules and credentials, sent over a plain
 * keep-alive agent. A run reads a GET per file, and the client's middleware stack costs ~1 ms of
 * CPU per call until the JIT warms up (~0.35 ms here, with signing), on the same cores that parse
 * the files and feed PostgreSQL. Only for buckets the endpoint rules sign with plain SigV4:
 * anything else (S3 Express directory buckets, multi-region access points) gets null and stays on
 * the SDK's GetObject.
 */
export async function directGetter(client: S3Client, bucket: string, timeouts: DirectGetTimeouts): Promise<DirectGetter | null> {
  // Key is one of GetObject's endpoint parameters; the bucket's endpoint does not depend on it.
  const endpoint = await getEndpointFromInstructions({ Bucket: bucket, Key: 'key' }, GetObjectCommand, client.config as never);
  const scheme = endpoint.properties?.authSchemes?.[0] as { name?: string; signingName?: string; signingRegion?: string } | undefined;
  if (endpoint.properties?.backend !== undefined || scheme?.name !== 'sigv4' || !scheme.signingRegion) return null;
  const url = endpoint.url;
  const secure = url.protocol === 'https:';
  const basePath = url.pathname.replace(/\/$/, '');
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  const signer = new SignatureV4({
    credentials: client.config.credentials,
    region: scheme.signingRegion,
    service: scheme.signingName ?? 's3',
    sha256: client.config.sha256,
    // S3 signs the path as sent, not encoded a second time.
    uriEscapePath: false,
    applyChecksum: false,
  });
  const agentOptions = { keepAlive: true, maxSockets: 50 };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;

  async function getOnce(fullKey: string): Promise<IncomingMessage> {
    const path = `${basePath}/${fullKey.split('/').map(encodeKeySegment).join('/')}`;
    const signed = await signer.sign(
      { method: 'GET', protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path, query: {}, headers: { host, 'x-amz-content-sha256': EMPTY_BODY_SHA256 } },
      { signingDate: new Date(Date.now() + (client.config.systemClockOffset ?? 0)) },
    );
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = send({ agent, host: url.hostname, port: url.port || undefined, method: 'GET', path, headers: { ...signed.headers, 'user-agent': 'stockflow' } });
      request.once('error', reject);
      boundSilences(request, fullKey, timeouts);
      request.once('response', (response) => {
        if (response.statusCode === 200) {
          resolve(response);
          return;
        }
        void errorOf(response, fullKey).then(reject, reject);
      });
      request.end();
    });
  }

  return {
    async get(fullKey) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await getOnce(fullKey);
        } catch (error) {
          if (attempt >= S3_ATTEMPTS) throw error;
          if (error instanceof S3GetError && CLOCK_SKEW_CODES.has(error.code) && error.serverDate) {
            // As the SDK does: sign from then on by the server's clock (a host whose clock drifted).
            client.config.systemClockOffset = Date.parse(error.serverDate) - Date.now();
            continue;
          }
          if (!isRetried(error)) throw error;
          await sleep(Math.random() * FIRST_BACKOFF_MS * 2 ** (attempt - 1));
        }
      }
    },
  };
}

/** Fails the request, and its body once handed out, after a silence; a new connection gets a shorter bound. */
function boundSilences(request: ClientRequest, key: string, timeouts: DirectGetTimeouts): void {
  let response: IncomingMessage | undefined;
  request.once('response', (answer) => (response = answer));
  const fail = (error: Error): void => {
    // The reader of a body that stopped part-way should see why, not a bare "aborted".
    if (response && !response.complete) response.destroy(error);
    request.destroy(error);
  };
  request.setTimeout(timeouts.idleMs, () => fail(new S3TimeoutError(`S3 GET ${key} timed out: no data for ${timeouts.idleMs} ms`)));
  request.once('socket', (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => fail(new S3TimeoutError(`S3 GET ${key} timed out: no connection after ${timeouts.connectMs} ms`)), timeouts.connectMs);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
}

/** S3 names its errors in an XML body (<Code>, <Message>); a HEAD-like empty body leaves the status. */
async function errorOf(response: IncomingMessage, key: string): Promise<S3GetError> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    if (size < ERROR_BODY_LIMIT) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const body = Buffer.concat(chunks).toString('utf8');
  const status = response.statusCode ?? 0;
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? (status === 404 ? 'NoSuchKey' : `Http${status}`);
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? response.statusMessage ?? '';
  return new S3GetError(status, code, `S3 GET ${key}: ${status} ${code}${message ? `: ${message}` : ''}`, response.headers.date);
}

function isRetried(error: unknown): boolean {
  if (error instanceof S3GetError) return s3SaysTryAgain(error.status, error.code);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRIED_NETWORK_ERRORS.has(code);
}

/** As the SDK encodes a key's segments: RFC 3986, so !'()* are escaped too. */
function encodeKeySegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
