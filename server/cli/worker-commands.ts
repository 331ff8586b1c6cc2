import { parseArgs } from 'node:util';

import { startEventsServer } from '../trigger/events-http-server';
import { consoleLogger } from './console-logger';
import { type Command, untilStopped, UsageError } from './shared';

export const workerCommands: Record<string, Command> = {
  /** The embedded runner alone: executes queued runs until stopped. */
  async worker(_args, services) {
    const opened = await services();
    if (opened.config.orchestrator !== 'embedded') throw new UsageError('stockflow worker runs the embedded orchestrator; with Airflow, Airflow runs the tasks');
    const log = consoleLogger();
    const runner = opened.createRunner(log);
    const dispatcher = opened.createDispatcher(log);
    runner.start();
    dispatcher?.start();
    // Listening before saying so: a signal with no listener yet kills the process outright.
    const stopped = untilStopped();
    log.log('info', `worker ${runner.workerId} waiting for runs (Ctrl-C to stop)`);
    await stopped;
    await dispatcher?.stop();
    await runner.stop();
    return 0;
  },

  /** Watches the monitored bucket for .SUCCESS markers (and runs the embedded runner beside it). */
  async watch(args, services) {
    const { values } = parseArgs({ args, options: { 'no-runner': { type: 'boolean', default: false }, once: { type: 'boolean', default: false } } });
    const opened = await services();
    const log = consoleLogger();
    const watcher = opened.createWatcher(log);
    if (values.once) {
      const started = await watcher.scanOnce();
      process.stdout.write(started.length > 0 ? `Triggered ${started.join(', ')}\n` : 'No new markers\n');
      return 0;
    }
    const runner = opened.config.orchestrator === 'embedded' && !values['no-runner'] ? opened.createRunner(log) : null;
    runner?.start();
    watcher.start();
    const events = opened.config.watch.eventsPort
      ? await startEventsServer({
          pool: opened.pool,
          orchestrator: opened.orchestrator,
          secret: opened.config.watch.eventsSecret!,
          port: opened.config.watch.eventsPort,
          log,
          bucket: opened.config.watch.eventsBucket,
          snsTopicArn: opened.config.watch.eventsSnsTopicArn,
        })
      : null;
    const stopped = untilStopped();
    log.log('info', `watching ${opened.monitored.location} for .SUCCESS every ${opened.config.watch.intervalMs} ms${events ? `; S3 events on ${events.url}` : ''} (Ctrl-C to stop)`);
    await stopped;
    await events?.close();
    await watcher.stop();
    await runner?.stop();
    return 0;
  },
};
