import type pg from 'pg';

import { type Migration, readMigrations } from './sql-files';

// Any constant works; it only has to be the same for every stockflow process.
const MIGRATION_LOCK_KEY = 7_391_022_515;

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies sql/migrations/*.sql in order, each in its own transaction and recorded in
 * stockflow.schema_migrations. An advisory lock makes concurrent callers wait instead of racing.
 */
export async function migrate(pool: pg.Pool, migrations: Migration[] = readMigrations()): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query('CREATE SCHEMA IF NOT EXISTS stockflow');
      await client.query(`CREATE TABLE IF NOT EXISTS stockflow.schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = await client.query<{ version: number }>('SELECT version FROM stockflow.schema_migrations');
      const appliedVersions = new Set(done.rows.map((row) => row.version));
      const applied: string[] = [];
      for (const migration of migrations) {
        if (appliedVersions.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO stockflow.schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`Migration ${migration.name} failed: ${message}`, { cause: error });
        }
        applied.push(migration.name);
      }
      return { applied, alreadyApplied: appliedVersions.size };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
