import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { DescribeInstancesCommand, EC2Client, EC2ServiceException, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';

import { Ec2Host, HostError } from './ec2-host';

// EC2 has no local emulator: the SDK client is mocked, and the responses follow EC2's API shapes.
const ec2 = mockClient(EC2Client);
const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const fast = { maxSeconds: 10, minDelay: 1, maxDelay: 1 };

function reservation(state: 'pending' | 'running' | 'stopping' | 'stopped') {
  return {
    Reservations: [
      {
        ReservationId: 'r-0abc',
        Instances: [
          {
            InstanceId: 'i-0123456789abcdef0',
            InstanceType: 't3.large' as const,
            State: { Code: state === 'running' ? 16 : 80, Name: state },
            PublicIpAddress: state === 'running' ? '203.0.113.7' : undefined,
            Tags: [{ Key: 'Name', Value: 'airflow-host' }],
          },
        ],
      },
    ],
  };
}

function awsError(name: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: `${name} (mocked)` });
}

describe('the EC2 host adapter', () => {
  beforeEach(() => ec2.reset());

  it('describes the instance found by its Name tag', async () => {
    ec2.on(DescribeInstancesCommand).resolves(reservation('stopped'));
    const state = await new Ec2Host(client, { instanceName: 'airflow-host' }, fast).describe();
    assert.deepEqual(state, { kind: 'ec2', status: 'stopped', id: 'i-0123456789abcdef0', type: 't3.large', publicIp: null, detail: 'airflow-host' });
    const input = ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input;
    assert.deepEqual(input.Filters?.[0], { Name: 'tag:Name', Values: ['airflow-host'] });
  });

  it('starts the instance and waits until it runs', async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(reservation('stopped')).resolvesOnce(reservation('pending')).resolves(reservation('running'));
    ec2.on(StartInstancesCommand).resolves({ StartingInstances: [{ InstanceId: 'i-0123456789abcdef0', CurrentState: { Name: 'pending', Code: 0 }, PreviousState: { Name: 'stopped', Code: 80 } }] });
    const state = await new Ec2Host(client, { instanceId: 'i-0123456789abcdef0' }, fast).start();
    assert.equal(state.status, 'running');
    assert.equal(state.publicIp, '203.0.113.7');
    assert.deepEqual(ec2.commandCalls(StartInstancesCommand)[0]!.args[0].input, { InstanceIds: ['i-0123456789abcdef0'] });
  });

  it('stops, and never terminates, the instance', async () => {
    ec2.on(DescribeInstancesCommand).resolvesOnce(reservation('running')).resolvesOnce(reservation('stopping')).resolves(reservation('stopped'));
    ec2.on(StopInstancesCommand).resolves({ StoppingInstances: [{ InstanceId: 'i-0123456789abcdef0', CurrentState: { Name: 'stopping', Code: 64 }, PreviousState: { Name: 'running', Code: 16 } }] });
    const state = await new Ec2Host(client, { instanceId: 'i-0123456789abcdef0' }, fast).stop();
    assert.equal(state.status, 'stopped');
    assert.equal(ec2.commandCalls(TerminateInstancesCommand).length, 0);
  });

  it('explains missing permissions and unknown instances', async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError('UnauthorizedOperation'));
    await assert.rejects(new Ec2Host(client, { instanceId: 'i-0123456789abcdef0' }, fast).describe(), (error: unknown) => error instanceof HostError && /ec2:DescribeInstances/.test(error.message));
    ec2.reset();
    ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    await assert.rejects(new Ec2Host(client, { instanceId: 'i-0123456789abcdef0' }, fast).describe(), /No EC2 instance i-0123456789abcdef0/);
    ec2.reset();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await assert.rejects(new Ec2Host(client, { instanceName: 'nope' }, fast).describe(), /No EC2 instance named nope/);
    ec2.reset();
    ec2.on(DescribeInstancesCommand).resolves(reservation('running'));
    ec2.on(StopInstancesCommand).rejects(awsError('UnauthorizedOperation'));
    await assert.rejects(new Ec2Host(client, { instanceId: 'i-0123456789abcdef0' }, fast).stop(), /ec2:StopInstances/);
  });
});
