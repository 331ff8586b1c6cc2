/**
 * What each role may do, one function per role, each statement derived from the AWS SDK calls the
 * code makes (named beside it). No `*` action, no service-wide wildcard: a resource is `*` only
 * where the action has no resource-level permission (noted, and acknowledged for cdk-nag where the
 * role is created).
 *
 * S3 answers a GetObject/HeadObject of a missing key with 404 only to callers that may list the
 * bucket, and 403 to the others; the code tells "not there yet" from a failure by the 404
 * (ObjectNotFoundError: a missing company list, Output/ files of another run). AWS evaluates that
 * ListBucket with the object key as s3:prefix, so a ListBucket limited to a prefix keeps the 404s
 * for the keys under it (ceph/ceph#68577 mirrors this AWS behaviour).
 */
import { Aws, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

import { SOURCE_PREFIXES } from './constants';
import type { ArchiveLocation } from './user-data';

const { stocks, companyNames, output } = SOURCE_PREFIXES;

function listBucketUnder(bucket: IBucket, prefixes: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ListOnlyUnderItsPrefixes',
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
  });
}

/** The archive the user data downloads (s3 cp): that one object of the CDK assets bucket. */
function readArchive(archive: ArchiveLocation): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadItsSourceArchive',
    actions: ['s3:GetObject'],
    resources: [`arn:${Aws.PARTITION}:s3:::${archive.bucket}/${archive.key}`],
  });
}

function readSecrets(secrets: readonly ISecret[]): iam.PolicyStatement {
  // The user data reads them at boot (aws secretsmanager get-secret-value): database URL, Airflow password.
  return new iam.PolicyStatement({ sid: 'ReadItsSecrets', actions: ['secretsmanager:GetSecretValue'], resources: secrets.map((secret) => secret.secretArn) });
}

export interface HostAccess {
  source: IBucket;
  topic: ITopic;
  secrets: readonly ISecret[];
  archive: ArchiveLocation;
}

/** The Airflow host: what `stockflow step discover|transform|load|notify` call (server/adapters). */
export function airflowHostStatements(access: HostAccess): iam.PolicyStatement[] {
  const { source } = access;
  return [
    // discover: ListObjectsV2 Stocks/; load: ListObjectsV2 Output/runs/ (stale outputs); 404s for
    // GetObject/HeadObject under CompanyNames/ and Output/.
    listBucketUnder(source, [stocks, companyNames, output]),
    // load: ListMultipartUploads Output/ (interrupted writes). The action has no s3:prefix condition.
    new iam.PolicyStatement({ sid: 'FindInterruptedUploads', actions: ['s3:ListBucketMultipartUploads'], resources: [source.bucketArn] }),
    // discover/transform: GetObject CompanyNames/top_companies.txt and Stocks/*.
    new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject'], resources: [source.arnForObjects(`${stocks}*`), source.arnForObjects(`${companyNames}*`)] }),
    // transform: Upload (PutObject, multipart above 8 MiB; AbortMultipartUpload on failure);
    // load: GetObject, HeadObject, CopyObject (Get + Put), DeleteObject, AbortMultipartUpload.
    new iam.PolicyStatement({
      sid: 'WriteOutputs',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      resources: [source.arnForObjects(`${output}*`)],
    }),
    // notify: Publish (SnsChannel.deliver).
    new iam.PolicyStatement({ sid: 'PublishOutcome', actions: ['sns:Publish'], resources: [access.topic.topicArn] }),
    readSecrets(access.secrets),
    readArchive(access.archive),
  ];
}

export interface PanelAccess {
  source: IBucket;
  topic: ITopic;
  secrets: readonly ISecret[];
  archive: ArchiveLocation;
  hostInstanceId: string;
}

/** The control panel: the host page (Ec2Host), the notifications page (SnsChannel), rejects downloads. */
export function panelStatements(scope: Stack, access: PanelAccess): iam.PolicyStatement[] {
  const hostArn = scope.formatArn({ service: 'ec2', resource: 'instance', resourceName: access.hostInstanceId });
  const topicArn = access.topic.topicArn;
  return [
    // DescribeInstances has no resource-level permission: `*` is the only resource it takes.
    new iam.PolicyStatement({ sid: 'SeeTheHost', actions: ['ec2:DescribeInstances'], resources: ['*'] }),
    new iam.PolicyStatement({ sid: 'StartStopOnlyTheHost', actions: ['ec2:StartInstances', 'ec2:StopInstances'], resources: [hostArn] }),
    // Test mail and resend (Publish), subscriptions (Subscribe, ListSubscriptionsByTopic) of this
    // topic only. No CreateTopic: the stack owns the topic.
    new iam.PolicyStatement({ sid: 'UseTheTopic', actions: ['sns:Publish', 'sns:Subscribe', 'sns:ListSubscriptionsByTopic'], resources: [topicArn] }),
    // Unsubscribe names a subscription: the topic's ARN plus a generated id.
    new iam.PolicyStatement({ sid: 'UnsubscribeFromTheTopic', actions: ['sns:Unsubscribe'], resources: [topicArn, `${topicArn}:*`] }),
    // Rejects downloads: GetObject Output/runs/<run>/rejects.csv, Output/manifest.json, ... (404s kept).
    listBucketUnder(access.source, [output]),
    new iam.PolicyStatement({ sid: 'ReadOutputs', actions: ['s3:GetObject'], resources: [access.source.arnForObjects(`${output}*`)] }),
    // The Upload page's presigned PUTs act with this role: stock files and the company list only.
    new iam.PolicyStatement({
      sid: 'SignUploads',
      actions: ['s3:PutObject'],
      resources: [access.source.arnForObjects(`${stocks}*`), access.source.arnForObjects(`${companyNames}top_companies.txt`)],
    }),
    readSecrets(access.secrets),
    readArchive(access.archive),
  ];
}

export interface TriggerAccess {
  logGroupArn: string;
  airflowSecret: ISecret;
  deadLetterQueue: IQueue;
}

/** The trigger Lambda: its logs, its network interfaces in the VPC, the Airflow password, its DLQ. */
export function triggerStatements(access: TriggerAccess): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: 'WriteItsLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [access.logGroupArn] }),
    // What Lambda needs to place the function in the VPC (AWSLambdaVPCAccessExecutionRole's
    // actions): none of them takes a resource narrower than `*`.
    new iam.PolicyStatement({
      sid: 'JoinTheVpc',
      actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      resources: ['*'],
    }),
    // handler.ts: GetSecretValue once per cold start.
    new iam.PolicyStatement({ sid: 'ReadTheAirflowPassword', actions: ['secretsmanager:GetSecretValue'], resources: [access.airflowSecret.secretArn] }),
    // Lambda's asynchronous invocation sends failed events to the dead-letter queue with the
    // function's role (SendMessage only: the L2 grant would add GetQueueAttributes and GetQueueUrl).
    new iam.PolicyStatement({ sid: 'SendFailedEvents', actions: ['sqs:SendMessage'], resources: [access.deadLetterQueue.queueArn] }),
  ];
}
