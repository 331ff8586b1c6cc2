import type pg from 'pg';
import { openObjectStore } from './adapters/object-store-factory';
import { OutboxNotifier } from './adapters/outbox-notifier';
import { PgStepResults } from './adapters/pg-step-results';
import { PgStockTable } from './adapters/pg-stock-table';
import type { Config } from './config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import type { PipelineContext } from './pipeline/context';
import type { Logger } from './ports/logger';
import type { ObjectStore } from './ports/object-store';

/** The configured adapters behind each port, opened once per process. */
export interface Services {
  config: Config;
  pool: pg.Pool;
  databaseUrl: string;
  source: ObjectStore;
  monitored: ObjectStore;
  pipelineContext(runId: string, log: Logger, onProgress?: PipelineContext['onProgress']): PipelineContext;
  close(): Promise<void>;
}

export async function openServices(config: Config, options: { log?: (line: string) => void } = {}): Promise<Services> {
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    options.log?.(`Starting embedded PostgreSQL on port ${config.embeddedPostgresPort} (data in ${config.dataDir}/postgres)`);
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort });
    databaseUrl = embedded.url;
  }
  const pool = createPool(databaseUrl);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    await embedded?.stop();
    throw error;
  }
  const source = openObjectStore(config.source, config.s3);
  const monitored = openObjectStore(config.monitored, config.s3);
  const stocks = new PgStockTable(pool);
  const results = new PgStepResults(pool);
  const notifier = new OutboxNotifier(pool);
  return {
    config,
    pool,
    databaseUrl,
    source,
    monitored,
    pipelineContext: (runId, log, onProgress) => ({
      runId,
      source,
      stocks,
      results,
      notifier,
      identity: config.identity,
      concurrency: config.concurrency,
      log,
      onProgress,
    }),
    close: async () => {
      await pool.end();
      await embedded?.stop();
    },
  };
}
