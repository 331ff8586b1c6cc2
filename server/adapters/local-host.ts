import type { HostController, HostState } from '../ports/host';
import type { SettingsRepository } from '../settings/settings-repository';

export const WORKER_PAUSED_KEY = 'worker_paused';

/**
 * The embedded default host: the local worker. Stop pauses it (runs wait in the queue), start
 * resumes it. The flag lives in PostgreSQL so the web server and the worker process agree.
 */
export class LocalHost implements HostController {
  constructor(private readonly settings: SettingsRepository) {}

  async describe(): Promise<HostState> {
    const paused = (await this.settings.get<boolean>(WORKER_PAUSED_KEY)) ?? false;
    return {
      kind: 'local',
      status: paused ? 'stopped' : 'running',
      id: 'embedded worker',
      type: 'this machine',
      publicIp: null,
      detail: paused ? 'paused: queued runs wait until it is started again' : 'takes queued runs one at a time',
    };
  }

  async start(): Promise<HostState> {
    await this.settings.set(WORKER_PAUSED_KEY, false);
    return this.describe();
  }

  async stop(): Promise<HostState> {
    await this.settings.set(WORKER_PAUSED_KEY, true);
    return this.describe();
  }
}
