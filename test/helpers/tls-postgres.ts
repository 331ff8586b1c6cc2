import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { browserBlockedPort } from '../../server/util/browser-ports';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster of our own (the shared server on 5432 must not be reconfigured):
 * initdb in a temp dir, a free port from 55440 up, trust auth for `user`. With `tls` it gets a server
 * certificate signed by a fresh test CA and a pg_hba that accepts TLS connections only.
 */
export interface OwnPostgres {
  port: number;
  user: string;
  dir: string;
  /** The test CA that signed the server certificate (absent without `tls`). */
  caFile: string | undefined;
  /** `postgres://user@host:port/database` plus `query`. */
  url(options?: { host?: string; database?: string; query?: string }): string;
  stop(): Promise<void>;
  /** Stops the server like an operator would (`pg_ctl stop -m fast`: sessions are cut), keeping its data. */
  stopServer(): Promise<void>;
  /** Starts a server stopped by stopServer again, on the same port. */
  startServer(): Promise<void>;
  /** stopServer then startServer: what a database restart looks like to its clients. */
  restartServer(): Promise<void>;
}

export interface OwnPostgresOptions {
  /** `{}` turns TLS on (hostssl only); `names` go into the server certificate (default localhost, 127.0.0.1). */
  tls?: { names?: string[] } | false;
  /** Addresses to listen on; 127.0.0.2 lets tests reach the server under a name the certificate lacks. */
  listen?: string[];
  firstPort?: number;
}

const USER = 'stockflow';

export async function startOwnPostgres(options: OwnPostgresOptions = {}): Promise<OwnPostgres> {
  const bin = postgresBinDir();
  const listen = options.listen ?? ['127.0.0.1', '127.0.0.2'];
  const dir = await mkdtemp(join(tmpdir(), 'stockflow-own-pg-'));
  const data = join(dir, 'data');
  // initdb refuses root: as root the cluster runs as the system 'postgres' user, who must own the dir.
  const owner = process.getuid?.() === 0 ? await systemUser('postgres') : null;
  const asOwner = (command: string, args: string[]) =>
    // cwd: the postgres user may not be allowed into ours.
    owner ? run('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: dir }) : run(command, args, { cwd: dir });
  let started = false;
  try {
    const caFile = options.tls === false || options.tls === undefined ? undefined : await makeServerCertificate(dir, options.tls.names ?? ['localhost', '127.0.0.1']);
    if (owner) await chownTree(dir, owner);
    await asOwner(join(bin, 'initdb'), ['-D', data, '-U', USER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const port = await freePort(options.firstPort ?? 55440, listen[0] ?? '127.0.0.1');
    await appendFile(
      join(data, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '${listen.join(',')}'`,
        `unix_socket_directories = '${dir}'`,
        'fsync = off',
        ...(caFile ? ['ssl = on', `ssl_cert_file = '${join(dir, 'server.crt')}'`, `ssl_key_file = '${join(dir, 'server.key')}'`] : []),
        '',
      ].join('\n'),
    );
    // No plain `host` line with TLS: a connection without it finds no pg_hba entry and is refused.
    await writeFile(
      join(data, 'pg_hba.conf'),
      ['local all all trust', `${caFile ? 'hostssl' : 'host'} all all 127.0.0.0/8 trust`, `${caFile ? 'hostssl' : 'host'} all all ::1/128 trust`, ''].join('\n'),
    );
    const startServer = async (): Promise<void> => {
      await asOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
    };
    const stopServer = async (): Promise<void> => {
      await asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
    };
    await startServer();
    started = true;
    return {
      port,
      user: USER,
      dir,
      caFile,
      url: ({ host = '127.0.0.1', database = 'postgres', query } = {}) => `postgres://${USER}@${host}:${port}/${database}${query ? `?${query}` : ''}`,
      stop: async () => {
        await asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
      stopServer,
      startServer,
      restartServer: async () => {
        await stopServer();
        await startServer();
      },
    };
  } catch (error) {
    if (started) await asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A self-signed CA in `dir` (ca.crt, ca.key); the path of its certificate. */
export async function makeTestCa(dir: string, name = 'ca'): Promise<string> {
  const cert = join(dir, `${name}.crt`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=stockflow test ${name}`,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    cert,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return cert;
}

/** ca.crt + server.crt/server.key (signed by the CA, for `names`); returns the CA's path. */
async function makeServerCertificate(dir: string, names: string[]): Promise<string> {
  const caFile = await makeTestCa(dir);
  const key = join(dir, 'server.key');
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', key, '-out', join(dir, 'server.csr')]);
  const altNames = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  await writeFile(join(dir, 'server.ext'), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'server.csr'),
    '-CA',
    caFile,
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    join(dir, 'server.ext'),
    '-out',
    join(dir, 'server.crt'),
  ]);
  // PostgreSQL refuses a private key others can read.
  await chmod(key, 0o600);
  return caFile;
}

/** Debian's newest /usr/lib/postgresql/<version>/bin (PG_BIN_DIR overrides). */
function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`No initdb under ${root}/<version>/bin: install Debian's postgresql package or set PG_BIN_DIR`);
  return join(root, newest, 'bin');
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function chownTree(path: string, owner: { uid: number; gid: number }): Promise<void> {
  await chown(path, owner.uid, owner.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, owner);
    else await chown(child, owner.uid, owner.gid);
  }
}

/** The first port from `first` on that nothing listens on at `host`. */
export async function freePort(first: number, host = '127.0.0.1'): Promise<number> {
  for (let port = first; port < first + 200; port += 1) {
    // A browser (and Next.js) refuses these: an e2e product on one would never come up.
    if (browserBlockedPort(port) !== null) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
        .once('error', () => resolve(false))
        .listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`No free port in ${first}..${first + 199}`);
}
