/** The machine that runs the orchestrator: the Airflow EC2 instance, or the local embedded worker. */
export type HostStatus = 'pending' | 'running' | 'stopping' | 'stopped' | 'unknown';

export interface HostState {
  kind: 'ec2' | 'local';
  status: HostStatus;
  /** EC2: instance id; local: worker description. */
  id: string;
  type: string | null;
  publicIp: string | null;
  detail: string | null;
}

export interface HostController {
  describe(): Promise<HostState>;
  start(): Promise<HostState>;
  /** Stops (never terminates) the host. */
  stop(): Promise<HostState>;
}
