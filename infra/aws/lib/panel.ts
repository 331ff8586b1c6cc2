/**
 * The control panel, off the Airflow host (stopping the host for the night must not take the
 * panel with it, and the panel is what starts the host again): a small always-on EC2 instance
 * running the panel container (infra/aws/panel.Dockerfile, built on the instance from the
 * repository files the stack ships). Operators reach it through Session Manager port forwarding
 * (AWS-StartPortForwardingSession to port 3000): no ingress at all by default. With an
 * operatorCidr, its security group also admits that network on port 3000 (plain HTTP).
 * Why an instance and not Fargate: docs/DEPLOY.md ("The control panel").
 */
import { Aws, Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

import { SOURCE_PREFIXES } from './constants';
import { panelEnv } from './env-files';
import { partSources, StockflowInstance, type StockflowPartProps } from './instance';
import { acknowledge, wildcardFinding } from './nag';
import { panelStatements } from './permissions';
import { PANEL_SOURCES } from './source-archive';
import { panelCommands } from './user-data';

export interface PanelProps extends StockflowPartProps {
  host: ec2.Instance;
  airflowUrl: string;
  /** Operators come from their CIDR over plain HTTP instead of through SSM. */
  publicAccess: boolean;
}

export class Panel extends Construct {
  readonly instance: ec2.Instance;
  readonly role: StockflowInstance['role'];

  constructor(scope: Construct, id: string, props: PanelProps) {
    super(scope, id);
    const { location, secrets } = partSources(this, 'panel', PANEL_SOURCES, props);
    const env = panelEnv({
      region: Aws.REGION,
      sourceBucket: props.source.bucketName,
      topicArn: props.topic.topicArn,
      identity: props.identity,
      airflowUrl: props.airflowUrl,
      hostInstanceId: props.host.instanceId,
      insecureCookies: props.publicAccess,
    });
    const panel = new StockflowInstance(this, 'Panel', {
      vpc: props.vpc,
      securityGroup: props.securityGroup,
      instanceType: props.instanceType,
      // node:20 images, node_modules and the Next.js build.
      rootVolumeGb: 20,
      statements: panelStatements(Stack.of(this), {
        source: props.source,
        topic: props.topic,
        secrets: [props.databaseSecret, props.airflowSecret],
        archive: location,
        hostInstanceId: props.host.instanceId,
      }),
      roleDescription: "stockflow control panel: starts/stops the Airflow host, manages the topic's subscriptions, reads Output/ and its secrets",
      commands: panelCommands({ secrets, archive: location, env, isToken: (value) => Token.isUnresolved(value), listenPublicly: props.publicAccess }),
      name: props.name,
    });
    this.instance = panel.instance;
    this.role = panel.role;
    acknowledge(panel.role, 'AwsSolutions-IAM5[Resource::*]', "ec2:DescribeInstances only (the host page's state): it has no resource-level permission. Start and stop are limited to the host's ARN.");
    acknowledge(panel.role, wildcardFinding(props.topic, 'Ref', ':*'), "sns:Unsubscribe only, on this topic's subscriptions: a subscription ARN is the topic ARN plus an id SNS generates.");
    acknowledge(
      panel.role,
      wildcardFinding(props.source, 'Arn', `/${SOURCE_PREFIXES.output}*`),
      'Read-only, under Output/ only: rejects downloads of any run (Output/runs/<run id>/rejects.csv) and the published manifest.',
    );
    acknowledge(
      panel.role,
      wildcardFinding(props.source, 'Arn', `/${SOURCE_PREFIXES.stocks}*`),
      "PutObject under Stocks/ only, for the Upload page's presigned PUTs: one object per ticker file, named by the operator (the panel checks the name).",
    );
  }
}
