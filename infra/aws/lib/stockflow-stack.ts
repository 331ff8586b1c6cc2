/**
 * stockflow on AWS, one stack: the parts (each its own construct and role) and the outputs an
 * operator needs, including the seed's submission row. docs/DEPLOY.md walks through it.
 */
import { CfnOutput, Fn, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { AirflowHost } from './airflow-host';
import { AIRFLOW_ADMIN_USER, AIRFLOW_PORT, PANEL_PORT } from './constants';
import { Database } from './database';
import { acknowledge } from './nag';
import { Network } from './network';
import { Notifications } from './notifications';
import { Panel } from './panel';
import type { DeploymentSettings } from './settings';
import { Storage } from './storage';
import { Trigger } from './trigger';

export interface StockflowStackProps extends StackProps {
  settings: DeploymentSettings;
}

/** The submission row's columns, as the seed asks for them. */
export const SUBMISSION_HEADER = 'Name,Surname,Source_bucket,Monitored_bucket,SNS_topic,Static_IP';

export class StockflowStack extends Stack {
  readonly network: Network;
  readonly storage: Storage;
  readonly database: Database;
  readonly notifications: Notifications;
  readonly airflowSecret: secretsmanager.Secret;
  readonly host: AirflowHost;
  readonly trigger: Trigger;
  readonly panel: Panel;

  constructor(scope: Construct, id: string, props: StockflowStackProps) {
    super(scope, id, { description: 'stockflow: stock CSVs from S3 into PostgreSQL, run by Airflow on EC2 (infra/aws)', ...props });
    const { settings } = props;
    Tags.of(this).add('project', 'stockflow');

    this.network = new Network(this, 'Network', { operatorCidr: settings.operatorCidr });
    const { vpc } = this.network;
    this.storage = new Storage(this, 'Storage', {
      sourceBucketName: settings.names.sourceBucket,
      monitoredBucketName: settings.names.monitoredBucket,
      destroyData: settings.destroyData,
    });
    this.database = new Database(this, 'Database', {
      vpc,
      securityGroup: this.network.databaseSecurityGroup,
      instanceType: settings.databaseInstanceType,
      destroyData: settings.destroyData,
    });
    this.notifications = new Notifications(this, 'Notifications', { topicName: settings.names.topic, operatorEmails: settings.operatorEmails });

    // The one Airflow account: airflow-init creates it from the host's .env, the Lambda and the
    // panel sign in with it. Alphanumeric: it goes through .env and URLs untouched.
    this.airflowSecret = new secretsmanager.Secret(this, 'AirflowAdmin', {
      description: 'stockflow: the Airflow admin account (host .env, trigger Lambda, panel)',
      generateSecretString: { secretStringTemplate: JSON.stringify({ username: AIRFLOW_ADMIN_USER }), generateStringKey: 'password', excludePunctuation: true, passwordLength: 32 },
    });
    acknowledge(
      this.airflowSecret,
      'AwsSolutions-SMG4',
      'No automatic rotation: airflow-init sets the password from .env at boot; rotating means a new host (redeploy), which reads the new value (docs/DEPLOY.md).',
    );

    const identity = settings.identity;
    const common = { vpc, source: this.storage.source, topic: this.notifications.topic, databaseSecret: this.database.secret, airflowSecret: this.airflowSecret, identity };
    this.host = new AirflowHost(this, 'Airflow', {
      ...common,
      securityGroup: this.network.hostSecurityGroup,
      instanceType: settings.hostInstanceType,
      name: `${settings.stackName}-airflow`,
    });
    this.trigger = new Trigger(this, 'Trigger', {
      vpc,
      securityGroup: this.network.lambdaSecurityGroup,
      monitored: this.storage.monitored,
      airflowUrl: this.host.apiUrl,
      airflowSecret: this.airflowSecret,
      alarmTopic: this.notifications.topic,
    });
    this.panel = new Panel(this, 'Panel', {
      ...common,
      securityGroup: this.network.panelSecurityGroup,
      instanceType: settings.panelInstanceType,
      host: this.host.instance,
      airflowUrl: this.host.apiUrl,
      publicAccess: settings.operatorCidr !== undefined,
      name: `${settings.stackName}-panel`,
    });

    this.outputs(settings);
  }

  private outputs(settings: DeploymentSettings): void {
    const output = (id: string, value: string, description: string): CfnOutput => new CfnOutput(this, id, { value, description });
    const forward = (target: string, port: number): string =>
      Fn.join('', [`aws ssm start-session --region ${this.region} --target `, target, ` --document-name AWS-StartPortForwardingSession --parameters portNumber=${port},localPortNumber=${port}`]);
    const staticIp = this.host.staticIp.attrPublicIp;
    output('SourceBucketName', this.storage.source.bucketName, 'Source bucket: Stocks/, CompanyNames/, Output/, Scripts/');
    output('MonitoredBucketName', this.storage.monitored.bucketName, 'Upload a .SUCCESS here to start a run');
    output('TopicArn', this.notifications.topic.topicArn, 'SNS topic of the run notifications');
    output('TopicName', this.notifications.topic.topicName, 'SNS topic name');
    output('StaticIp', staticIp, "The Airflow host's Elastic IP");
    output('AirflowInstanceId', this.host.instance.instanceId, 'The Airflow host (the panel starts and stops it)');
    output('PanelInstanceId', this.panel.instance.instanceId, 'The control panel instance');
    output(
      'PanelAccessCommand',
      this.panelAccess(settings, forward),
      settings.operatorCidr ? 'Open the panel from the operator network' : 'Then open http://localhost:3000 (needs the Session Manager plugin)',
    );
    output('AirflowUiAccessCommand', forward(this.host.instance.instanceId, AIRFLOW_PORT), 'Then open http://localhost:8080 (Airflow UI)');
    output('DatabaseSecretArn', this.database.secret.secretArn, 'RDS credentials (username, password, host, port, dbname)');
    output('AirflowSecretArn', this.airflowSecret.secretArn, 'The Airflow admin account');
    output('DeadLetterQueueUrl', this.trigger.deadLetterQueue.queueUrl, '.SUCCESS events that could not trigger the DAG');
    output('TriggerLogGroupName', this.trigger.logGroup.logGroupName, "The trigger Lambda's logs (aws logs tail NAME --follow)");
    output(
      'SubmissionCsv',
      Fn.join('', [
        `${SUBMISSION_HEADER}\n${settings.identity.firstName},${settings.identity.surname},`,
        Fn.join(',', [this.storage.source.bucketName, this.storage.monitored.bucketName, this.notifications.topic.topicName, staticIp]),
      ]),
      "The seed's resource_details.csv (header and row)",
    );
  }

  private panelAccess(settings: DeploymentSettings, forward: (target: string, port: number) => string): string {
    if (settings.operatorCidr) return Fn.join('', ['http://', this.panel.instance.instancePublicIp, `:${PANEL_PORT}`]);
    return forward(this.panel.instance.instanceId, PANEL_PORT);
  }
}
