/**
 * The Airflow host: one EC2 instance (t3.medium by default: Airflow's own minimum is 4 GB) running
 * infra/airflow's compose (API server, scheduler running `stockflow step ...`, DAG processor,
 * metadata PostgreSQL), with the seed's static IP (an Elastic IP). Its user data installs Docker
 * and the compose plugin, unpacks the repository files the image builds from, writes
 * infra/airflow/.env (env-files.ts: database URL from the RDS secret, buckets, topic, identity)
 * and starts the compose. Operators reach it through Session Manager (shell, or a port forward to
 * the Airflow UI); only the Lambda and the panel reach its API port.
 */
import { Aws, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

import { AIRFLOW_PORT, SOURCE_PREFIXES } from './constants';
import { airflowHostEnv } from './env-files';
import { partSources, StockflowInstance, type StockflowPartProps } from './instance';
import { acknowledge, wildcardFinding } from './nag';
import { airflowHostStatements } from './permissions';
import { AIRFLOW_HOST_SOURCES } from './source-archive';
import { airflowHostCommands } from './user-data';

export type AirflowHostProps = StockflowPartProps;

export class AirflowHost extends Construct {
  readonly instance: ec2.Instance;
  readonly staticIp: ec2.CfnEIP;
  /** http://<private IP>:8080: the Lambda's and the panel's AIRFLOW_URL (kept across stop/start). */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: AirflowHostProps) {
    super(scope, id);
    const { location, secrets } = partSources(this, 'airflow-host', AIRFLOW_HOST_SOURCES, props);
    const env = airflowHostEnv({ region: Aws.REGION, sourceBucket: props.source.bucketName, topicArn: props.topic.topicArn, identity: props.identity });

    const host = new StockflowInstance(this, 'Host', {
      vpc: props.vpc,
      securityGroup: props.securityGroup,
      instanceType: props.instanceType,
      // The Airflow image build (npm ci, the official image) and a month of task logs.
      rootVolumeGb: 30,
      statements: airflowHostStatements({ source: props.source, topic: props.topic, secrets: [props.databaseSecret, props.airflowSecret], archive: location }),
      roleDescription: 'stockflow Airflow host: reads Stocks/ and CompanyNames/, writes Output/, publishes to the topic, reads its secrets',
      commands: airflowHostCommands({ secrets, archive: location, env, isToken: (value) => Token.isUnresolved(value) }),
      name: props.name,
    });
    this.instance = host.instance;
    for (const [prefix, why] of [
      [SOURCE_PREFIXES.stocks, 'reads every ticker file'],
      [SOURCE_PREFIXES.companyNames, 'reads the company list'],
      [SOURCE_PREFIXES.output, "writes each run's output files (per-run folders under Output/runs/)"],
    ] as const) {
      acknowledge(host.role, wildcardFinding(props.source, 'Arn', `/${prefix}*`), `Object keys under one prefix of the source bucket, the pipeline's own data: the host ${why}.`);
    }

    this.staticIp = new ec2.CfnEIP(this, 'StaticIp', { domain: 'vpc', instanceId: this.instance.instanceId, tags: [{ key: 'Name', value: `${props.name}-static-ip` }] });
    this.apiUrl = `http://${this.instance.instancePrivateIp}:${AIRFLOW_PORT}`;
  }
}
