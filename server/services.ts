import { join } from 'node:path';

import type pg from 'pg';

import { AirflowClient } from './adapters/airflow/airflow-client';
import { AirflowOrchestrator } from './adapters/airflow/airflow-orchestrator';
import { LocalHost, WORKER_PAUSED_KEY } from './adapters/local-host';
import { openObjectStore } from './adapters/object-store-factory';
import { OutboxNotifier } from './adapters/outbox-notifier';
import { PgStepResults } from './adapters/pg-step-results';
import { PgStockTable } from './adapters/pg-stock-table';
import type { SmtpChannel } from './adapters/smtp-channel';
import type { SnsChannel } from './adapters/sns-channel';
import { openUploadTarget } from './adapters/upload-target-factory';
import type { Config } from './config';
import type { EmbeddedDatabase } from './db/embedded-postgres';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { OutboxDispatcher } from './notifications/outbox-dispatcher';
import type { PipelineContext } from './pipeline/context';
import type { HostController } from './ports/host';
import type { Logger } from './ports/logger';
import type { MailChannel } from './ports/mail-channel';
import type { ObjectStore } from './ports/object-store';
import type { Orchestrator } from './ports/orchestrator';
import type { UploadTarget } from './ports/upload-target';
import { refreshDataSummary } from './read-models/data-summary';
import { createExportPool, ExportSlots } from './read-models/export-limits';
import { EmbeddedOrchestrator } from './runs/embedded-orchestrator';
import { EmbeddedRunner } from './runs/embedded-runner';
import { RunRepository } from './runs/run-repository';
import { IDENTITY_KEY, SettingsRepository, SNS_TOPIC_KEY } from './settings/settings-repository';
import { MarkerWatcher } from './trigger/marker-watcher';

/** The configured adapters behind each port, opened once per process. */
export interface Services {
  config: Config;
  pool: pg.Pool;
  databaseUrl: string;
  source: ObjectStore;
  /** Where the Upload page sends files for the source bucket. */
  uploads: UploadTarget;
  monitored: ObjectStore;
  runs: RunRepository;
  orchestrator: Orchestrator;
  settings: SettingsRepository;
  host: HostController;
  pipelineContext(runId: string, log: Logger, onProgress?: PipelineContext['onProgress'], signal?: AbortSignal, run?: Pick<PipelineContext, 'loadMode' | 'shards' | 'shard' | 'full'>): PipelineContext;
  /** The embedded worker (only meaningful with the embedded orchestrator). */
  createRunner(log: Logger): EmbeddedRunner;
  createWatcher(log: Logger): MarkerWatcher;
  /** The SNS channel, when notifications go through SNS (topic and subscriptions admin). */
  sns: SnsChannel | null;
  /** Delivers outbox mail when a mail channel is configured (null otherwise). */
  createDispatcher(log: Logger): OutboxDispatcher | null;
  /** The CSV exports' own small pool (opened on first use) and per-user slots. */
  exportPool(): pg.Pool;
  exportSlots: ExportSlots;
  /** The configured way out for mail (SMTP or SNS), null when the outbox is the destination. */
  mailChannel: MailChannel | null;
  close(): Promise<void>;
}

export async function openServices(config: Config, options: { log?: (line: string) => void } = {}): Promise<Services> {
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    // Loaded only when needed: the Airflow image always sets DATABASE_URL and ships without embedded-postgres.
    const { startEmbeddedPostgres } = await import('./db/embedded-postgres');
    // It says itself whether it starts the server, takes one over or joins a running one.
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort, log: options.log });
    databaseUrl = embedded.url;
  }
  const pool = createPool(databaseUrl, { tls: config.databaseUrl ? config.databaseTls : undefined });
  let exportPool: pg.Pool | null = null;
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    await embedded?.stop();
    throw error;
  }
  const source = await openObjectStore(config.source, config.s3);
  const monitored = await openObjectStore(config.monitored, config.s3);
  const stocks = new PgStockTable(pool);
  const results = new PgStepResults(pool);
  const settings = new SettingsRepository(pool);
  // The AWS SDK clients and nodemailer are loaded only when configured: each costs the CLI's
  // start-up (EC2's SDK alone ~0.3 s) and most processes never use them. Always through our
  // adapter module, never `import('@aws-sdk/...')` here: bundled, a dynamic import of a CommonJS
  // package keeps only its default export (the build refuses it).
  const snsChannel =
    config.mail.channel === 'sns'
      ? await import('./adapters/sns-channel').then(({ SnsChannel }) =>
          SnsChannel.open({ region: config.s3.region, endpoint: config.mail.snsEndpoint }, async () => (await settings.get<string>(SNS_TOPIC_KEY)) ?? config.mail.snsTopicArn ?? null),
        )
      : null;
  const smtpChannel: SmtpChannel | null =
    config.mail.channel === 'smtp' && config.mail.smtpUrl
      ? await import('./adapters/smtp-channel').then(({ SmtpChannel }) => new SmtpChannel({ url: config.mail.smtpUrl!, from: config.mail.from, to: config.mail.to }))
      : null;
  const mailChannel: MailChannel | null = snsChannel ?? smtpChannel;
  const notifier = new OutboxNotifier(pool, mailChannel);
  const runs = new RunRepository(pool);
  const host: HostController =
    config.host.kind === 'ec2'
      ? await import('./adapters/ec2-host').then(({ Ec2Host }) => Ec2Host.open(config.s3.region, { instanceId: config.host.instanceId, instanceName: config.host.instanceName }))
      : new LocalHost(settings);
  const orchestrator: Orchestrator =
    config.orchestrator === 'airflow'
      ? new AirflowOrchestrator(
          new AirflowClient({ baseUrl: config.airflow.url!, apiVersion: config.airflow.apiVersion, username: config.airflow.username, password: config.airflow.password }),
          config.airflow.dagId,
          runs,
        )
      : new EmbeddedOrchestrator(runs);
  const pipelineContext: Services['pipelineContext'] = (runId, log, onProgress, signal, run) => ({
    runId,
    source,
    stocks,
    results,
    notifier,
    identity: config.identity,
    resolveIdentity: async () => (await settings.get<PipelineContext['identity']>(IDENTITY_KEY)) ?? config.identity,
    concurrency: config.concurrency,
    log,
    onProgress,
    signal,
    loadMode: run?.loadMode,
    shards: run?.shards,
    shard: run?.shard,
    full: run?.full,
    // On disk beside the product's data, not in /tmp, which is often memory (tmpfs).
    spoolDir: join(config.dataDir, 'spool'),
  });
  return {
    config,
    pool,
    databaseUrl,
    source,
    uploads: await openUploadTarget(config.source, config.s3),
    monitored,
    runs,
    orchestrator,
    settings,
    host,
    pipelineContext,
    createRunner: (log) =>
      new EmbeddedRunner({
        pool,
        runs,
        results,
        contextFor: (runId, taskLog, onProgress, signal, run) => pipelineContext(runId, taskLog, onProgress, signal, run),
        retries: config.runner.retries,
        backoffMs: config.runner.backoffMs,
        stepTimeoutMs: config.runner.stepTimeoutMs,
        pollMs: 500,
        log,
        isPausedByOperator: async () => (await settings.get<boolean>(WORKER_PAUSED_KEY)) === true,
        // The overview's figures after a load, computed now rather than by its first viewer.
        afterRun: () => void refreshDataSummary(pool, log),
      }),
    sns: snsChannel,
    mailChannel,
    exportPool: () => (exportPool ??= createExportPool(databaseUrl!, config.databaseUrl ? config.databaseTls : undefined)),
    exportSlots: new ExportSlots(),
    createDispatcher: (log) => (mailChannel ? new OutboxDispatcher({ pool, channel: mailChannel, log }) : null),
    createWatcher: (log) => new MarkerWatcher({ pool, store: monitored, orchestrator, intervalMs: config.watch.intervalMs, log }),
    close: async () => {
      smtpChannel?.close();
      snsChannel?.close();
      await exportPool?.end();
      await pool.end();
      await embedded?.stop();
    },
  };
}
