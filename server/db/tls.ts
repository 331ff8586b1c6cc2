import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';

import { ConfigError } from '../config';

/**
 * libpq's sslmode semantics on top of node-pg. pg-connection-string (pg 8) reads `sslmode` from a
 * URL as "verify against Node's default CAs" for every mode but disable (libpq semantics only with
 * `uselibpqcompat=true`), and what it parses from the URL overrides the `ssl` option we pass. So
 * we read the ssl parameters ourselves, remove them from the URL, and hand node-pg an explicit `ssl`.
 */

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** What the environment adds to DATABASE_URL (from server/config.ts). */
export interface DatabaseTlsSettings {
  /** PGSSLMODE: used when the URL names no sslmode. */
  sslMode?: SslMode | undefined;
  /** DATABASE_CA_FILE, else PGSSLROOTCERT; `variable` names it in errors. */
  caFile?: { path: string; variable: string } | undefined;
}

export type PgSsl = false | ConnectionOptions;

export interface PgTls {
  /** DATABASE_URL without the parameters node-pg would interpret differently. */
  connectionString: string;
  /** `ssl` values to try in order: one, or two for prefer/allow (libpq retries with the other). */
  attempts: [PgSsl, ...PgSsl[]];
  sslnegotiation: 'postgres' | 'direct' | undefined;
}

// Everything pg-connection-string turns into `ssl` (or a conflicting flag); other params pass through.
const TAKEN_PARAMS = new Set(['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslnegotiation', 'uselibpqcompat']);
const URL_SOURCE = 'DATABASE_URL';

const skipHostnameCheck = (): undefined => undefined;

export function resolvePgTls(url: string, settings: DatabaseTlsSettings = {}): PgTls {
  const { base, query, hash } = splitUrl(url);
  const params = new URLSearchParams(query);
  const kept = query.split('&').filter((pair) => pair !== '' && !TAKEN_PARAMS.has([...new URLSearchParams(pair).keys()][0] ?? ''));
  const connectionString = base + (kept.length > 0 ? `?${kept.join('&')}` : '') + hash;
  const sslnegotiation = parseNegotiation(params.get('sslnegotiation'));

  const urlRoot = params.get('sslrootcert');
  const root = urlRoot ? { path: urlRoot, variable: `${URL_SOURCE} sslrootcert` } : settings.caFile;
  const systemRoots = root?.path === 'system';
  let mode = parseMode(params.get('sslmode'), `${URL_SOURCE} sslmode`) ?? legacySsl(params.get('ssl'));
  // An explicitly configured CA (not the ambient PGSSLROOTCERT) means the operator wants it checked.
  const explicitRoot = root !== undefined && root.variable !== 'PGSSLROOTCERT';
  mode ??= settings.sslMode ?? (systemRoots || explicitRoot ? 'verify-full' : undefined);

  // libpq ignores sslmode on Unix sockets; so do we (the server would answer "no SSL" there).
  if (mode === undefined || mode === 'disable' || isSocket(base, params)) return done([false]);
  if (systemRoots && mode !== 'verify-full') {
    throw new ConfigError([`${root.variable}: sslrootcert=system needs sslmode=verify-full (a public CA vouches for anyone's hostname), not ${mode}`]);
  }
  if (sslnegotiation === 'direct' && (mode === 'allow' || mode === 'prefer')) {
    throw new ConfigError([`${URL_SOURCE}: sslnegotiation=direct needs sslmode=require or stronger, not ${mode}`]);
  }

  const client = clientCertificate(params);
  const unverified: ConnectionOptions = { ...client, rejectUnauthorized: false };
  switch (mode) {
    case 'allow':
      return done([false, unverified]);
    case 'prefer':
      return done([unverified, false]);
    case 'require': {
      // libpq: with a root certificate, require behaves like verify-ca.
      if (!root || systemRoots) return done([unverified]);
      return done([{ ...client, ca: readPem(root), checkServerIdentity: skipHostnameCheck }]);
    }
    case 'verify-ca':
      if (!root) {
        throw new ConfigError([`${URL_SOURCE}: sslmode=verify-ca needs a CA file (DATABASE_CA_FILE, PGSSLROOTCERT or sslrootcert= in the URL); use verify-full to trust the system CAs`]);
      }
      return done([{ ...client, ca: readPem(root), checkServerIdentity: skipHostnameCheck }]);
    case 'verify-full':
      // Without a CA file Node's own store decides (libpq would insist on ~/.postgresql/root.crt).
      return done([{ ...client, ...(root && !systemRoots ? { ca: readPem(root) } : {}), rejectUnauthorized: true }]);
  }

  function done(attempts: PgTls['attempts']): PgTls {
    return { connectionString, attempts, sslnegotiation };
  }
}

function splitUrl(url: string): { base: string; query: string; hash: string } {
  const hashAt = url.indexOf('#');
  const hash = hashAt === -1 ? '' : url.slice(hashAt);
  const rest = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = rest.indexOf('?');
  return queryAt === -1 ? { base: rest, query: '', hash } : { base: rest.slice(0, queryAt), query: rest.slice(queryAt + 1), hash };
}

function parseMode(value: string | null, source: string): SslMode | undefined {
  if (value === null) return undefined;
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new ConfigError([`${source}: "${value}" is not one of ${SSL_MODES.join(', ')}`]);
}

/** node-pg's own `ssl=true|false` URL flag, kept working (true meant: verify against Node's CAs). */
function legacySsl(value: string | null): SslMode | undefined {
  if (value === null) return undefined;
  if (value === 'true' || value === '1') return 'verify-full';
  if (value === 'false' || value === '0') return 'disable';
  throw new ConfigError([`${URL_SOURCE}: ssl=${value} is not supported; use sslmode=require (no verification) or verify-full`]);
}

function parseNegotiation(value: string | null): PgTls['sslnegotiation'] {
  if (value === null || value === 'postgres' || value === 'direct') return value ?? undefined;
  throw new ConfigError([`${URL_SOURCE}: sslnegotiation must be postgres or direct, not "${value}"`]);
}

function isSocket(base: string, params: URLSearchParams): boolean {
  const host = params.get('host') ?? base.replace(/^[a-z]+:\/\/([^@/]*@)?/i, '').split(/[/:]/)[0] ?? '';
  return host.startsWith('/') || /^%2f/i.test(host);
}

function clientCertificate(params: URLSearchParams): ConnectionOptions {
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  return {
    ...(cert ? { cert: readFile({ path: cert, variable: `${URL_SOURCE} sslcert` }) } : {}),
    ...(key ? { key: readFile({ path: key, variable: `${URL_SOURCE} sslkey` }) } : {}),
  };
}

function readPem(source: { path: string; variable: string }): string {
  const text = readFile(source);
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError([`${source.variable}: ${resolve(source.path)} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`]);
  }
  return text;
}

function readFile(source: { path: string; variable: string }): string {
  try {
    return readFileSync(source.path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new ConfigError([`${source.variable}: cannot read ${resolve(source.path)} (${reason})`]);
  }
}
