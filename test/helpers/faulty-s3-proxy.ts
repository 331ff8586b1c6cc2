import { createServer, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a real S3-compatible server (s3rver) that breaks chosen requests the
 * way networks and stores do: no answer at all, a body that stops or is cut after N bytes, or an
 * error status. Everything else passes through untouched.
 */
export interface FaultyS3Proxy {
  endpoint: string;
  /** Never answers (afterBytes unset), or sends the headers and afterBytes of the body, then nothing. */
  stall(target: FaultTarget, options?: { afterBytes?: number; times?: number }): void;
  /** Sends the headers (with the full Content-Length) and afterBytes of the body, then drops the connection. */
  cut(target: FaultTarget, afterBytes: number, options?: { times?: number }): void;
  /** Answers with an S3 error document (code InternalError unless given) and this status instead of forwarding. */
  fail(target: FaultTarget, status: number, options?: { times?: number; code?: string }): void;
  /** Requests that reached the proxy and matched target (faulted or not). */
  count(target: FaultTarget): number;
  /** Those requests themselves, with their headers. */
  requests(target: FaultTarget): SeenRequest[];
  clear(): void;
  close(): Promise<void>;
}

/** Which requests a fault applies to: GET by default; key matches the object key exactly (path style). */
export interface FaultTarget {
  method?: string;
  key?: string;
  /** Tested against the decoded path and query, e.g. /bucket?list-type=2. */
  path?: RegExp;
}

export interface SeenRequest {
  method: string;
  /** Decoded. */
  path: string;
  /** As sent (what a signature covers). */
  rawPath: string;
  headers: IncomingMessage['headers'];
}

interface Fault {
  target: FaultTarget;
  kind: 'stall' | 'cut' | 'fail';
  afterBytes?: number;
  status?: number;
  code?: string;
  remaining: number;
}

export async function startFaultyS3Proxy(upstream: string): Promise<FaultyS3Proxy> {
  const upstreamUrl = new URL(upstream);
  let faults: Fault[] = [];
  const seen: SeenRequest[] = [];

  const matches = (target: FaultTarget, method: string, path: string): boolean => {
    if (method !== (target.method ?? 'GET')) return false;
    if (target.key !== undefined && path.split('?')[0]!.replace(/^\/[^/]+\//, '') !== target.key) return false;
    return target.path === undefined || target.path.test(path);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(req.url ?? '/');
    seen.push({ method, path, rawPath: req.url ?? '/', headers: req.headers });
    const fault = faults.find((candidate) => candidate.remaining > 0 && matches(candidate.target, method, path));
    if (fault) fault.remaining -= 1;
    if (fault?.kind === 'fail') {
      req.resume();
      res.writeHead(fault.status!, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code ?? 'InternalError'}</Code><Message>injected by the test proxy</Message></Error>`);
      return;
    }
    if (fault?.kind === 'stall' && fault.afterBytes === undefined) {
      req.resume();
      return; // Never answered: the connection stays open until the client gives up or the proxy closes.
    }
    const forwarded = httpRequest({ host: upstreamUrl.hostname, port: upstreamUrl.port, method, path: req.url, headers: req.headers }, (upstreamResponse) => {
      res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      if (!fault) {
        upstreamResponse.pipe(res);
        return;
      }
      let sent = 0;
      upstreamResponse.on('data', (chunk: Buffer) => {
        const room = fault.afterBytes! - sent;
        if (room <= 0) return;
        res.write(chunk.subarray(0, room));
        sent += Math.min(room, chunk.length);
        if (sent >= fault.afterBytes! && fault.kind === 'cut') {
          upstreamResponse.destroy();
          // Let the partial body reach the client before the connection drops.
          setTimeout(() => res.socket?.destroy(), 20);
        }
      });
    });
    forwarded.on('error', () => res.socket?.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const add = (target: FaultTarget, kind: Fault['kind'], extra: Partial<Fault>, times = Number.POSITIVE_INFINITY): void => {
    faults.push({ target, kind, remaining: times, ...extra });
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stall: (target, options = {}) => add(target, 'stall', { afterBytes: options.afterBytes }, options.times),
    cut: (target, afterBytes, options = {}) => add(target, 'cut', { afterBytes }, options.times),
    fail: (target, status, options = {}) => add(target, 'fail', { status, code: options.code }, options.times),
    count: (target) => seen.filter((request) => matches(target, request.method, request.path)).length,
    requests: (target) => seen.filter((request) => matches(target, request.method, request.path)),
    clear: () => {
      faults = [];
      seen.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
