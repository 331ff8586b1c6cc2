/**
 * `.SUCCESS` uploads to the monitored bucket -> EventBridge rule (key suffix `.SUCCESS`) -> the
 * Lambda of infra/lambda (asynchronous: Lambda retries twice) -> Airflow's REST API on the host.
 * The function sits in the isolated subnets; its security group reaches the Airflow API port and
 * the Secrets Manager endpoint, nothing else. Events that still fail (Airflow down, the host
 * stopped, a bad password) land in a dead-letter queue whose first message raises an alarm to
 * the SNS topic. Re-upload the marker once the host is back (docs/DEPLOY.md).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { lambdaEnvironment } from './env-files';
import { triggerCode } from './lambda-code';
import { acknowledge } from './nag';
import { triggerStatements } from './permissions';

/** The marker the seed's trigger reacts to. */
export const MARKER_SUFFIX = '.SUCCESS';

export interface TriggerProps {
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  monitored: IBucket;
  /** http://<host private IP>:8080 */
  airflowUrl: string;
  airflowSecret: ISecret;
  alarmTopic: ITopic;
}

export class Trigger extends Construct {
  readonly function: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  readonly logGroup: logs.LogGroup;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TriggerProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.logGroup = logGroup;
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'stockflow trigger Lambda: its logs, its VPC interfaces, the Airflow password, its dead-letter queue',
      // Inline, so the role carries its permissions before the function is created (Lambda checks
      // the VPC and dead-letter permissions at creation).
      inlinePolicies: {
        trigger: new iam.PolicyDocument({ statements: triggerStatements({ logGroupArn: logGroup.logGroupArn, airflowSecret: props.airflowSecret, deadLetterQueue: this.deadLetterQueue }) }),
      },
    });
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only the VPC network-interface actions Lambda needs to join the VPC (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses): they take no narrower resource.',
    );

    this.function = new lambda.Function(this, 'Function', {
      description: 'stockflow: triggers the Airflow DAG once per .SUCCESS upload (infra/lambda)',
      runtime: lambda.Runtime.NODEJS_22_X,
      // The bundle is plain JavaScript: Graviton is ~20 % cheaper per GB-second.
      architecture: lambda.Architecture.ARM_64,
      handler: 'handler.handler',
      code: triggerCode(),
      role,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      environment: lambdaEnvironment({ airflowUrl: props.airflowUrl, passwordSecretArn: props.airflowSecret.secretArn, monitoredBucket: props.monitored.bucketName }),
      // Two Airflow API calls (token, trigger) and one secret read per cold start.
      timeout: Duration.seconds(60),
      memorySize: 256,
      logGroup,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    acknowledge(this.function, 'AwsSolutions-L1', 'nodejs22.x on purpose: infra/lambda/build.mjs bundles for node22 and the repository tests that bundle; move both together when upgrading.');
    // The dead-letter queue at the CloudFormation level: the L2 property would also grant
    // sqs:GetQueueAttributes and sqs:GetQueueUrl (the role has SendMessage, see permissions.ts).
    (this.function.node.defaultChild as lambda.CfnFunction).deadLetterConfig = { targetArn: this.deadLetterQueue.queueArn };

    new events.Rule(this, 'MarkerUploaded', {
      description: `stockflow: ${MARKER_SUFFIX} uploaded to the monitored bucket`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.monitored.bucketName] }, object: { key: events.Match.suffix(MARKER_SUFFIX) } },
      },
      // EventBridge's own delivery failures (throttling, a deleted function) go to the same queue.
      targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(6) })],
    });

    this.alarm = new cloudwatch.Alarm(this, 'FailedTriggers', {
      alarmDescription: 'stockflow: a .SUCCESS upload did not trigger the DAG (see the dead-letter queue; re-upload the marker once Airflow answers)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
  }
}
