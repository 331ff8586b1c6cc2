import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { FolderObjectStore } from '../../../server/adapters/folder-object-store';
import { migrate } from '../../../server/db/migrate';
import { createPool } from '../../../server/db/pool';
import { seedSynthetic } from '../../../server/seed/synthetic';
import { type OwnPostgres, startOwnPostgres } from '../../helpers/tls-postgres';

/** A migrated `stockflow` database on a cluster of our own (never the shared 5432: we stop this one). */
export interface OwnDatabase {
  server: OwnPostgres;
  url: string;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function ownDatabase(): Promise<OwnDatabase> {
  const server = await startOwnPostgres({ listen: ['127.0.0.1'] });
  try {
    const admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE stockflow');
    await admin.end();
    const url = server.url({ database: 'stockflow' });
    const pool = createPool(url);
    await migrate(pool);
    return {
      server,
      url,
      pool,
      close: async () => {
        await pool.end().catch(() => {});
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * A folder bucket with `files` synthetic companies. Read one file at a time (STOCKFLOW_CONCURRENCY=1)
 * 300 of them keep transform and load busy for seconds: long enough to hit a step while it runs.
 */
export async function seededFolder(files = 300): Promise<{ dir: string; source: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'stockflow-faults-'));
  const source = join(dir, 'source');
  await seedSynthetic(new FolderObjectStore(source), files);
  return { dir, source, remove: () => rm(dir, { recursive: true, force: true }) };
}
