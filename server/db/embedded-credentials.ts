import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type pg from 'pg';

/**
 * Who may log in to the embedded cluster, and as what (issue #9, item 12). Each cluster has its
 * own random passwords, kept beside it in files only the user running stockflow can read: the
 * superuser's (`postgres`, for creating the role and database only) and the app's
 * (`stockflow_app`, no superuser, owner of the `stockflow` database: what every process uses).
 */

export const SUPERUSER = 'postgres';
export const APP_ROLE = 'stockflow_app';
/** What stockflow before item 12 gave every cluster's superuser: accepted only to upgrade one. */
export const LEGACY_PASSWORD = 'stockflow';

export interface CredentialFiles {
  superuser: string;
  app: string;
}

/** The password files, in the folder that holds the cluster (the data dir, unless it moved: see embedded-postgres.ts). */
export function credentialFiles(clusterParent: string): CredentialFiles {
  return { superuser: join(clusterParent, 'postgres.superuser-password'), app: join(clusterParent, 'postgres.app-password') };
}

/** The password in `file`, or null when there is none. A file others can read is made private first. */
export function readSecret(file: string): string | null {
  let text: string;
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EACCES') throw new Error(`cannot read ${file}: run stockflow as the user that created this data dir`, { cause: error });
    throw error;
  }
  const secret = text.trim();
  return secret === '' ? null : secret;
}

/** The password in `file`, made (random, mode 0600) when there is none yet. */
export function ensureSecret(file: string): string {
  const existing = readSecret(file);
  if (existing) return existing;
  // base64url: safe in a connection URL without escaping.
  const secret = randomBytes(32).toString('base64url');
  try {
    // 'wx': two processes creating it at once keep the first one's.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = readSecret(file);
    if (!written) throw new Error(`${file} is empty: remove it and start again`, { cause: error });
    return written;
  }
}

/** SCRAM logins from this machine only: no trust, no cleartext/md5 passwords, no other hosts. */
export const PG_HBA = `# Written by stockflow (server/db/embedded-credentials.ts) at each start; edits are replaced.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  scram-sha-256
host    all       all   127.0.0.1/32   scram-sha-256
host    all       all   ::1/128        scram-sha-256
`;

/** Writes PG_HBA into the cluster; true when it changed (a running server must reload it). */
export function securePgHba(databaseDir: string): boolean {
  const file = join(databaseDir, 'pg_hba.conf');
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // Missing: written below.
  }
  if (current === PG_HBA) return false;
  // Written in place: as root the file keeps its owner, the 'postgres' user.
  writeFileSync(file, PG_HBA);
  return true;
}

/** On the `postgres` database, as the superuser: the app role (with the password from its file) and its database. */
export async function ensureAppRoleAndDatabase(admin: pg.Client, database: string, appPassword: string): Promise<void> {
  const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${admin.escapeLiteral(appPassword)}`;
  const role = admin.escapeIdentifier(APP_ROLE);
  const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
  // Set every time: the role always matches its file, and attributes granted by hand are taken back.
  if (found.rowCount === 0) await ignoring('42710', admin.query(`CREATE ROLE ${role} ${attributes}`));
  await admin.query(`ALTER ROLE ${role} ${attributes}`);
  const db = await admin.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [database]);
  if (db.rowCount === 0) await ignoring('42P04', admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)} OWNER ${role}`));
  else if (db.rows[0]!.owner !== APP_ROLE) await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(database)} OWNER TO ${role}`);
}

/**
 * On the stockflow database, as the superuser: what an older stockflow created as the superuser
 * goes to the app role, one object at a time (REASSIGN OWNED BY postgres is refused: it owns the
 * system catalogs). Serial and identity sequences and indexes follow their table. A no-op once done.
 */
export const HAND_OVER_OBJECTS = `DO $$
DECLARE
  statement text;
BEGIN
  FOR statement IN
    SELECT format('ALTER SCHEMA %I OWNER TO ${APP_ROLE}', n.nspname) FROM pg_namespace n
     WHERE n.nspname IN ('public', 'stockflow') AND n.nspowner NOT IN ('${APP_ROLE}'::regrole, 'pg_database_owner'::regrole)
    UNION ALL
    SELECT format('ALTER %s %s OWNER TO ${APP_ROLE}',
             CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
             c.oid::regclass)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('public', 'stockflow') AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relowner <> '${APP_ROLE}'::regrole
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
    UNION ALL
    SELECT format('ALTER ROUTINE %s OWNER TO ${APP_ROLE}', p.oid::regprocedure)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('public', 'stockflow') AND p.proowner <> '${APP_ROLE}'::regrole
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER %s %s OWNER TO ${APP_ROLE}', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid
     WHERE n.nspname IN ('public', 'stockflow') AND t.typowner <> '${APP_ROLE}'::regrole
       AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND c.relkind = 'c'))
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
END $$`;

/** Two processes preparing the cluster at once: the loser's "already exists" is fine. */
async function ignoring(code: string, query: Promise<unknown>): Promise<void> {
  try {
    await query;
  } catch (error) {
    if ((error as { code?: string }).code !== code) throw error;
  }
}
