import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's sql/ folder: beside this module when run from source (CLI, tests); from the
 * working directory when bundled (the Next.js server runs from the project root).
 */
export const SQL_DIR =
  [resolve(dirname(fileURLToPath(import.meta.url)), '../../sql'), resolve(process.cwd(), 'sql')].find((path) => existsSync(join(path, 'insert_query.sql'))) ?? resolve(process.cwd(), 'sql');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// The sql/ files are read at run time, not traced into the web build: the ignore comments keep
// Turbopack from tracing (and warning about) the whole project for these dynamic paths.
export function readMigrations(folder = join(SQL_DIR, 'migrations')): Migration[] {
  return readdirSync(/* turbopackIgnore: true */ folder)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const path = join(folder, file);
      return {
        version: Number(file.slice(0, file.indexOf('_'))),
        name: file.replace(/\.sql$/, ''),
        sql: readFileSync(/* turbopackIgnore: true */ path, 'utf8'),
      };
    });
}

/** Splits a file of `-- name: x` sections into named statements. */
export function readNamedQueries(file: string): Record<string, string> {
  const path = join(/* turbopackIgnore: true */ SQL_DIR, file);
  const text = readFileSync(/* turbopackIgnore: true */ path, 'utf8');
  const queries: Record<string, string> = {};
  let current: string | null = null;
  for (const line of text.split('\n')) {
    const header = /^--\s*name:\s*(\w+)\s*$/.exec(line);
    if (header) {
      current = header[1]!;
      queries[current] = '';
    } else if (current !== null && !line.startsWith('--')) {
      queries[current] += `${line}\n`;
    }
  }
  for (const [name, sql] of Object.entries(queries)) queries[name] = sql.trim().replace(/;$/, '');
  return queries;
}
