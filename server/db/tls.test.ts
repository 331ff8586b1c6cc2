import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ConnectionOptions } from 'node:tls';

import pg from 'pg';

import { ConfigError } from '../config';
import { resolvePgTls } from './tls';

const dir = mkdtempSync(join(tmpdir(), 'stockflow-tls-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pem(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
  return path;
}
const caA = pem('a.pem');
const caB = pem('b.pem');
const caC = pem('c.pem');
const BASE = 'postgres://u:p%40ss@db.example.com:5432/stock';

function only(url: string, settings?: Parameters<typeof resolvePgTls>[1]): ConnectionOptions | false {
  const { attempts } = resolvePgTls(url, settings);
  assert.equal(attempts.length, 1);
  return attempts[0];
}

function configError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof ConfigError && pattern.test(error.message));
}

describe('resolvePgTls', () => {
  it('removes only the ssl parameters, leaving the rest of the URL byte for byte', () => {
    const resolved = resolvePgTls(`${BASE}?application_name=a%20b&sslmode=require&sslrootcert=${encodeURIComponent(caA)}&uselibpqcompat=true&options=-c%20x%3Dy#frag`);
    assert.equal(resolved.connectionString, `${BASE}?application_name=a%20b&options=-c%20x%3Dy#frag`);
    assert.equal(resolvePgTls(`${BASE}?sslmode=disable`).connectionString, BASE);
  });

  it('connects plain without sslmode, and for disable', () => {
    assert.equal(only(BASE), false);
    assert.equal(only(`${BASE}?sslmode=disable`, { caFile: { path: caA, variable: 'DATABASE_CA_FILE' } }), false);
    // An ambient PGSSLROOTCERT alone does not switch TLS on (libpq's default mode would not verify either).
    assert.equal(only(BASE, { caFile: { path: caA, variable: 'PGSSLROOTCERT' } }), false);
  });

  it('verify-full checks CA and hostname; without a CA file Node trusts its own store', () => {
    const withCa = only(`${BASE}?sslmode=verify-full`, { caFile: { path: caA, variable: 'DATABASE_CA_FILE' } });
    assert.ok(withCa);
    assert.match(String(withCa.ca), /a\.pem/);
    assert.equal(withCa.rejectUnauthorized, true);
    assert.equal(withCa.checkServerIdentity, undefined);
    assert.deepEqual(only(`${BASE}?sslmode=verify-full`), { rejectUnauthorized: true });
  });

  it('verify-ca checks the CA only, and insists on a CA file', () => {
    const ssl = only(`${BASE}?sslmode=verify-ca&sslrootcert=${caA}`);
    assert.ok(ssl);
    assert.match(String(ssl.ca), /a\.pem/);
    assert.notEqual(ssl.rejectUnauthorized, false);
    assert.equal(ssl.checkServerIdentity?.('other.host', {} as never), undefined);
    configError(() => resolvePgTls(`${BASE}?sslmode=verify-ca`), /verify-ca needs a CA file/);
  });

  it('require encrypts without verification, but checks the CA when one is given (libpq)', () => {
    assert.deepEqual(only(`${BASE}?sslmode=require`), { rejectUnauthorized: false });
    const withCa = only(`${BASE}?sslmode=require`, { caFile: { path: caB, variable: 'PGSSLROOTCERT' } });
    assert.ok(withCa);
    assert.match(String(withCa.ca), /b\.pem/);
    assert.notEqual(withCa.rejectUnauthorized, false);
    assert.equal(typeof withCa.checkServerIdentity, 'function');
  });

  it('prefer tries TLS then plain, allow the reverse, neither verifies', () => {
    assert.deepEqual(resolvePgTls(`${BASE}?sslmode=prefer`).attempts, [{ rejectUnauthorized: false }, false]);
    assert.deepEqual(resolvePgTls(`${BASE}?sslmode=allow`).attempts, [false, { rejectUnauthorized: false }]);
  });

  it('takes the CA from the URL, then DATABASE_CA_FILE, then PGSSLROOTCERT', () => {
    const ca = (url: string, variable: string) => {
      const ssl = only(url, { caFile: { path: variable === 'PGSSLROOTCERT' ? caC : caB, variable } });
      return ssl && String(ssl.ca);
    };
    assert.match(String(ca(`${BASE}?sslmode=verify-full&sslrootcert=${caA}`, 'DATABASE_CA_FILE')), /a\.pem/);
    assert.match(String(ca(`${BASE}?sslmode=verify-full`, 'DATABASE_CA_FILE')), /b\.pem/);
    assert.match(String(ca(`${BASE}?sslmode=verify-full`, 'PGSSLROOTCERT')), /c\.pem/);
  });

  it('uses PGSSLMODE when the URL names no mode, and an explicit CA file alone means verify-full', () => {
    assert.deepEqual(only(BASE, { sslMode: 'require' }), { rejectUnauthorized: false });
    assert.equal(only(`${BASE}?sslmode=disable`, { sslMode: 'verify-full' }), false);
    const ssl = only(BASE, { caFile: { path: caA, variable: 'DATABASE_CA_FILE' } });
    assert.ok(ssl);
    assert.equal(ssl.rejectUnauthorized, true);
    assert.equal(ssl.checkServerIdentity, undefined);
  });

  it('names the variable and the path of an unreadable or non-PEM CA file', () => {
    const missing = join(dir, 'nope.pem');
    configError(() => resolvePgTls(`${BASE}?sslmode=verify-full`, { caFile: { path: missing, variable: 'DATABASE_CA_FILE' } }), new RegExp(`DATABASE_CA_FILE: cannot read ${missing} \\(ENOENT\\)`));
    configError(() => resolvePgTls(`${BASE}?sslmode=require&sslrootcert=${missing}`), /DATABASE_URL sslrootcert: cannot read .*nope\.pem/);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate');
    configError(() => resolvePgTls(`${BASE}?sslmode=verify-ca`, { caFile: { path: garbage, variable: 'PGSSLROOTCERT' } }), /PGSSLROOTCERT: .*garbage\.pem holds no PEM certificate/);
  });

  it('rejects unknown modes and sslrootcert=system with a weak mode', () => {
    configError(() => resolvePgTls(`${BASE}?sslmode=no-verify`), /sslmode: "no-verify" is not one of/);
    configError(() => resolvePgTls(`${BASE}?sslmode=require&sslrootcert=system`), /sslrootcert=system needs sslmode=verify-full/);
    assert.deepEqual(only(`${BASE}?sslrootcert=system`), { rejectUnauthorized: true });
    configError(() => resolvePgTls(`${BASE}?sslmode=prefer&sslnegotiation=direct`), /sslnegotiation=direct needs sslmode=require/);
  });

  it('keeps node-pg\'s ssl=true flag meaning "verify against Node\'s CAs"', () => {
    assert.deepEqual(only(`${BASE}?ssl=true`), { rejectUnauthorized: true });
    assert.equal(only(`${BASE}?ssl=0`), false);
  });

  it('ignores sslmode on Unix sockets, like libpq', () => {
    assert.equal(only('postgres://u@%2Fvar%2Frun%2Fpostgresql/db?sslmode=require'), false);
    assert.equal(only('postgres:///db?host=/var/run/postgresql&sslmode=verify-full'), false);
  });

  it('hands node-pg an ssl option its own URL parsing does not override', () => {
    for (const query of ['sslmode=require', `sslmode=verify-ca&sslrootcert=${caA}`, 'sslmode=disable', 'ssl=true&sslnegotiation=direct']) {
      const resolved = resolvePgTls(`${BASE}?${query}`);
      const client = new pg.Client({ connectionString: resolved.connectionString, ssl: resolved.attempts[0] });
      const parameters = (client as unknown as { connectionParameters: { ssl: unknown; host: string; password: string } }).connectionParameters;
      assert.equal(parameters.ssl, resolved.attempts[0], query);
      assert.equal(parameters.host, 'db.example.com');
      assert.equal(parameters.password, 'p@ss');
    }
  });
});
