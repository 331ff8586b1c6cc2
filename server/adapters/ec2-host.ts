import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  type Instance,
  StartInstancesCommand,
  StopInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
} from '@aws-sdk/client-ec2';

import type { HostController, HostState, HostStatus } from '../ports/host';

/** Written for operators (shown in the panel). */
export class HostError extends Error {
  readonly expose = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostError';
  }
}

/** The Airflow host as an EC2 instance, found by id or by its Name tag. Stop, never terminate. */
export class Ec2Host implements HostController {
  private resolvedId: string | undefined;

  constructor(
    private readonly client: EC2Client,
    private readonly target: { instanceId?: string; instanceName?: string },
    private readonly waits = { maxSeconds: 300, minDelay: 5, maxDelay: 15 },
  ) {
    this.resolvedId = target.instanceId;
  }

  /** A host with its own EC2 client (services.ts loads this module only when the host is EC2). */
  static open(region: string, target: { instanceId?: string; instanceName?: string }): Ec2Host {
    return new Ec2Host(new EC2Client({ region }), target);
  }

  private explain(error: unknown, action: string): never {
    if (error instanceof HostError) throw error;
    if (error instanceof EC2ServiceException) {
      if (error.name === 'UnauthorizedOperation' || error.name === 'AccessDenied' || error.name === 'AccessDeniedException') {
        throw new HostError(
          `Not allowed to ${action} the instance: the credentials need ec2:${action === 'describe' ? 'DescribeInstances' : action === 'start' ? 'StartInstances' : 'StopInstances'}`,
          { cause: error },
        );
      }
      if (error.name.startsWith('InvalidInstanceID')) {
        throw new HostError(`No EC2 instance ${this.target.instanceId ?? this.target.instanceName} (${error.name})`, { cause: error });
      }
      throw new HostError(`EC2 ${action} failed (${error.name})`, { cause: error });
    }
    throw error;
  }

  private async instance(): Promise<Instance> {
    try {
      const filters = this.resolvedId
        ? undefined
        : [
            { Name: 'tag:Name', Values: [this.target.instanceName!] },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ];
      const response = await this.client.send(new DescribeInstancesCommand(this.resolvedId ? { InstanceIds: [this.resolvedId] } : { Filters: filters }));
      const instances = (response.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
      if (instances.length === 0) throw new HostError(`No EC2 instance ${this.resolvedId ?? `named ${this.target.instanceName}`}`);
      if (instances.length > 1) throw new HostError(`${instances.length} EC2 instances are named ${this.target.instanceName}: set EC2_INSTANCE_ID`);
      this.resolvedId = instances[0]!.InstanceId;
      return instances[0]!;
    } catch (error) {
      return this.explain(error, 'describe');
    }
  }

  private toState(instance: Instance): HostState {
    const name = instance.State?.Name ?? 'unknown';
    const status: HostStatus = name === 'pending' || name === 'running' || name === 'stopping' || name === 'stopped' ? name : 'unknown';
    return {
      kind: 'ec2',
      status,
      id: instance.InstanceId ?? 'unknown',
      type: instance.InstanceType ?? null,
      publicIp: instance.PublicIpAddress ?? null,
      detail: instance.Tags?.find((tag) => tag.Key === 'Name')?.Value ?? null,
    };
  }

  async describe(): Promise<HostState> {
    return this.toState(await this.instance());
  }

  start(): Promise<HostState> {
    return this.transition('start');
  }

  stop(): Promise<HostState> {
    return this.transition('stop');
  }

  /** Sends start or stop, then waits with the SDK's waiter until the instance gets there. */
  private async transition(action: 'start' | 'stop'): Promise<HostState> {
    const id = (await this.instance()).InstanceId!;
    try {
      if (action === 'start') await this.client.send(new StartInstancesCommand({ InstanceIds: [id] }));
      else await this.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
      const waitUntil = action === 'start' ? waitUntilInstanceRunning : waitUntilInstanceStopped;
      await waitUntil({ client: this.client, maxWaitTime: this.waits.maxSeconds, minDelay: this.waits.minDelay, maxDelay: this.waits.maxDelay }, { InstanceIds: [id] });
    } catch (error) {
      this.explain(error, action);
    }
    return this.describe();
  }
}
