import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { z } from 'zod';

import { UserRepository } from '../auth/users';
import { ConfigError, loadConfig } from '../config';
import { KEYS } from '../pipeline/context';
import { newRunId, runPipeline } from '../pipeline/run-pipeline';
import { STEP_NAMES } from '../pipeline/steps';
import type { RunSummary } from '../pipeline/summary';
import { RunNotFoundError, RunStateError } from '../ports/orchestrator';
import { refreshDataSummary } from '../read-models/data-summary';
import { DeferredRunRecord } from '../runs/deferred-run-record';
import { confWithFull, confWithLoadMode, pipelineOptionsOfConf } from '../runs/run-conf';
import { runHistoryTracker } from '../runs/task-try';
import { seedFromFolder } from '../seed/from-folder';
import { seedSynthetic } from '../seed/synthetic';
import type { Services } from '../services';
import { webPortSchema } from '../util/browser-ports';
import { redactUrls } from '../util/redact';
import { consoleLogger } from './console-logger';
import { claimStartInstance } from './instance-lock';
import { mailCommands } from './mail-commands';
import { createProgressBar } from './progress-bar';
import { runCommands } from './run-commands';
import { type Command, runIdSchema, untilStopped, UsageError } from './shared';
import { stepCommand } from './step-command';
import { userCommands } from './user-commands';
import { ensureWebBuild, startWebServer } from './web-server';
import { workerCommands } from './worker-commands';

const USAGE = `stockflow: move daily stock CSV files from an object store into PostgreSQL

Usage:
  stockflow run [--mode companies|replace] [--full] [--json]   run discover, transform, load, notify
                                                  (replace: the table then holds exactly this batch;
                                                  --full: read files unchanged since loaded too)
  stockflow step <${STEP_NAMES.join('|')}> --run-id ID [--try N --max-tries M --conf JSON --engine airflow]
                                                  run one step of a run, recorded (Airflow tasks call this);
                                                  discover prints the run's shards, e.g. ["1/3","2/3","3/3"]
  stockflow step transform|load --run-id ID --shard i/N   one shard of the run's companies (conf {"shards": N})
  stockflow seed --from DIR                       copy DIR/stocks/*.csv and DIR/top_companies.txt into the source bucket
                                                  (a source holding demo data is emptied first)
  stockflow seed --synthetic N [--seed S]         generate N synthetic tickers and their company list
  stockflow migrate                               create or upgrade the database schema
  stockflow trigger [--conf JSON] [--mode M] [--full] [--json]  queue a run with the configured orchestrator
  stockflow runs [--status S] [--limit N] [--json] run history, newest first
  stockflow status <run>                          a run and its steps
  stockflow logs <run> [--step S] [--try N] [--follow]   a run's step logs (follows while it runs)
  stockflow cancel <run> | retry <run>            stop a run; run a failed run's failed steps again
  stockflow worker                                the embedded runner: executes queued runs
  stockflow watch [--once] [--no-runner]          start a run per new .SUCCESS in the monitored bucket
  stockflow user add|passwd|list|remove NAME [--role viewer|operator|admin]   control panel accounts
  stockflow mail list [--failed] | mail resend ID   the notification outbox; resend a mail given up on
  stockflow start [--port 3000] [--no-web]        the whole product on this machine (embedded defaults)

Configuration comes from the environment: DATABASE_URL, STOCKFLOW_SOURCE, STOCKFLOW_MONITORED,
S3_ENDPOINT, STOCKFLOW_DATA_DIR, STOCKFLOW_COHORT, STOCKFLOW_FIRST_NAME, STOCKFLOW_SURNAME (see README).`;

// Commands that handle Ctrl-C and SIGTERM themselves: they stop their work and record it first.
const LONG_RUNNING = new Set(['worker', 'watch', 'start', 'step', 'run']);
// How long `stockflow run` waits for a database that went away to record the run it executed.
const RECORD_WAIT_MS = 10 * 60_000;

function printSummary(summary: RunSummary, json: boolean): void {
  if (json) {
    const { runId, status, files, rows, companies, durationMs, loadMode } = summary;
    const changes = summary.changes?.totals ?? null;
    process.stdout.write(`${JSON.stringify({ runId, status, files, rows, companies, durationMs, loadMode, changes, error: summary.error })}\n`);
    return;
  }
  const lines = [
    `Run ${summary.runId}: ${summary.status.toUpperCase()} in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `  files     ${summary.files.listed} listed, ${summary.files.found} found, ${summary.files.missing} missing, ${summary.files.empty} empty, ${summary.files.failed} not stock files (wrong header)` +
      (summary.files.unchanged > 0 ? `, ${summary.files.unchanged} unchanged since loaded (not read; --full reads them)` : '') +
      (summary.files.appended > 0 ? `, ${summary.files.appended} only gained rows since loaded (only those loaded; --full loads them whole)` : ''),
    `  rows      ${summary.rows.read} read, ${summary.rows.loaded} loaded, ${summary.rows.rejected} rejected`,
    `  companies ${summary.companies}`,
    `  mode      ${summary.loadMode}${summary.demo ? ' (synthetic demo data)' : ''}`,
  ];
  const totals = summary.changes?.totals;
  if (totals) lines.push(`  changes   ${totals.added} rows added, ${totals.changed} changed, ${totals.removed} removed, ${totals.unchanged} unchanged`);
  if (summary.error) lines.push(`  error     ${summary.error.step}: ${summary.error.message}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const pipelineCommands: Record<string, Command> = {
  async run(args, services) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, 'run-id': { type: 'string' }, mode: { type: 'string' }, full: { type: 'boolean', default: false } } });
    const runId = runIdSchema.parse(values['run-id'] ?? newRunId());
    const conf = confWithFull(confWithLoadMode({}, values.mode), values.full);
    const opened = await services();
    const bar = createProgressBar();
    const log = consoleLogger('info', () => bar.done());
    // Recorded like any other run, so the panel and `stockflow runs` show it.
    await opened.runs.markRunning({ id: runId, trigger: { kind: 'manual', by: `${process.env.USER ?? 'cli'} (stockflow run)` }, conf, orchestrator: 'cli' });
    // Ctrl-C or SIGTERM: the step stops at its next file and the run is recorded as stopped.
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      log.log('warn', `${signal}: stopping the run at the next file (again to quit at once)`);
      stop.abort(new Error(`stockflow run was stopped by ${signal}`));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      // Records that must wait for the database wait here, so the step's own error stands.
      const record = new DeferredRunRecord(opened.pipelineContext(runId, log).results);
      const context = {
        // One process reads the whole batch, however large: shards are for engines with workers.
        ...opened.pipelineContext(runId, log, (event) => bar.update(event), stop.signal, { ...pipelineOptionsOfConf(conf), shards: 1 }),
        results: record.results,
        tracker: record.tracker(runHistoryTracker(opened.runs, runId, log), log),
      };
      const summary = await runPipeline(context);
      bar.done();
      // The outcome is known: it is printed now, even when the database must come back before it is recorded.
      printSummary(summary, values.json);
      await record.finish(
        opened.runs,
        context,
        { shutdown: stop.signal.aborted ? (stop.signal.reason as Error).message : undefined },
        {
          deadlineMs: RECORD_WAIT_MS,
          signal: stop.signal,
          onWait: (error) =>
            log.log(
              'warn',
              `the database is unavailable (${error instanceof Error ? error.message : String(error)}): run ${runId} is recorded once it is back (waiting up to ${RECORD_WAIT_MS / 60_000} min; Ctrl-C gives up)`,
            ),
        },
      );
      await refreshDataSummary(opened.pool, log);
      return summary.status === 'success' ? 0 : 1;
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  },

  step: stepCommand,

  async seed(args, services) {
    const { values } = parseArgs({ args, options: { from: { type: 'string' }, synthetic: { type: 'string' }, seed: { type: 'string' } } });
    if ((values.from === undefined) === (values.synthetic === undefined)) throw new UsageError('seed takes either --from DIR or --synthetic N');
    const opened = await services();
    if (values.from !== undefined) {
      const bar = createProgressBar();
      const result = await seedFromFolder(opened.source, values.from, (done, total) => bar.update({ step: 'seed', done, total, rows: 0 }));
      bar.done();
      if (result.demoFilesRemoved > 0) process.stdout.write(`Removed ${result.demoFilesRemoved} synthetic demo files; the next run removes their rows from the table\n`);
      process.stdout.write(`Copied ${result.files} files and the company list into ${opened.source.location}\n`);
    } else {
      const count = z.coerce.number().int().min(1).max(100_000).parse(values.synthetic);
      const seed = values.seed === undefined ? undefined : z.coerce.number().int().parse(values.seed);
      const result = await seedSynthetic(opened.source, count, seed);
      process.stdout.write(`Wrote ${result.files} synthetic files and a list of ${result.listed} companies into ${opened.source.location}\n`);
    }
    return 0;
  },

  async migrate(_args, services) {
    await services();
    process.stdout.write('Database schema is up to date\n');
    return 0;
  },

  async start(args, services) {
    // The whole product on one machine: embedded database and buckets, sample data on the first
    // start, the runner, the .SUCCESS watcher and the control panel.
    const { values } = parseArgs({ args, options: { port: { type: 'string' }, 'no-web': { type: 'boolean', default: false } } });
    const port = webPortSchema.parse(values.port ?? process.env.PORT ?? '3000');
    // Before anything else: a second start must leave without touching the running one.
    claimStartInstance(loadConfig().dataDir);
    const log = consoleLogger();
    if (!values['no-web']) ensureWebBuild(log);
    const opened = await services();
    const admin = await new UserRepository(opened.pool).ensureFirstAdmin();
    if (!(await opened.source.head(KEYS.companyList))) {
      const seeded = await seedSynthetic(opened.source, 200);
      log.log('info', `seeded ${seeded.files} synthetic files into ${opened.source.location}`);
    }
    const runner = opened.config.orchestrator === 'embedded' ? opened.createRunner(log) : null;
    const watcher = opened.createWatcher(log);
    const dispatcher = opened.createDispatcher(log);
    runner?.start();
    watcher.start();
    dispatcher?.start();
    const firstRuns = await opened.orchestrator.listRuns({ limit: 1 });
    if (firstRuns.runs.length === 0) {
      const { runId } = await opened.orchestrator.trigger({ trigger: { kind: 'manual', by: 'npm start' } });
      log.log('info', `first start: run ${runId} queued on the sample data`);
    }
    const web = values['no-web'] ? null : startWebServer({ port, databaseUrl: opened.databaseUrl, log });
    const monitored = opened.config.monitored.kind === 'folder' ? opened.config.monitored.bucket : opened.monitored.location;
    // The banner points there: make sure the folder exists before anyone looks for it.
    if (opened.config.monitored.kind === 'folder') await mkdir(monitored, { recursive: true });
    const lines = [
      '',
      web ? `  stockflow control panel: http://127.0.0.1:${port}` : '  stockflow is running (no web server)',
      admin ? `  first admin: user "${admin.username}", password "${admin.password}" (shown once; change it with: stockflow user passwd admin)` : '',
      `  drop a .SUCCESS file into ${monitored} to start a run`,
      '  Ctrl-C stops everything; the next start keeps the data.',
      '',
    ].filter((line, index, all) => line !== '' || index === 0 || index === all.length - 1);
    // Listening before the banner says it is up: a signal that comes with no listener yet kills the
    // process outright (a fresh-clone CI run saw a SIGTERM sent on the banner end it that way).
    const stopped = untilStopped();
    // A closed terminal stops it like Ctrl-C (the embedded server runs in a session of its own).
    const onHangup = (): void => void process.kill(process.pid, 'SIGTERM');
    process.once('SIGHUP', onHangup);
    process.stdout.write(`${lines.join('\n')}\n`);
    await stopped;
    process.removeListener('SIGHUP', onHangup);
    forceOnSecondSignal(log);
    log.log('info', 'stopping: the current step is failed and recorded, then the database stops (Ctrl-C again to stop at once)');
    web?.kill('SIGTERM');
    await dispatcher?.stop();
    await watcher.stop();
    await runner?.stop();
    return 0;
  },
};

/**
 * While a clean stop is under way, a second Ctrl-C/SIGTERM stops at once: the run is then left
 * `running` for the next worker to settle, and the embedded server gets a fast shutdown on exit.
 */
function forceOnSecondSignal(log: { log(level: 'warn', message: string): void }): void {
  const force = (signal: NodeJS.Signals): void => {
    log.log('warn', `${signal} again: stopping at once`);
    process.exit(130);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
}

const commands: Record<string, Command> = { ...pipelineCommands, ...runCommands, ...workerCommands, ...userCommands, ...mailCommands };

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}\n`);
    return 2;
  }
  let opened: Services | null = null;
  const services = async (): Promise<Services> => {
    // Imported on first use (pg, the adapters): --help and usage errors start without them.
    const { openServices } = await import('../services');
    opened ??= await openServices(loadConfig(), { log: (line) => process.stderr.write(`${line}\n`) });
    return opened;
  };
  const stop = (): void => {
    void (opened as Services | null)?.close().finally(() => process.exit(130));
  };
  if (!LONG_RUNNING.has(name)) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  try {
    return await command(args, services);
  } catch (error) {
    if (error instanceof RunNotFoundError || error instanceof RunStateError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof z.ZodError) {
      process.stderr.write(`${error.issues.map((issue) => issue.message).join('\n')}\n`);
      return 2;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`stockflow ${name}: ${redactUrls(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  } finally {
    await (opened as Services | null)?.close();
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
