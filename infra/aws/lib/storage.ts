/**
 * The two buckets of the seed. Both private (every public access block on, TLS-only policy,
 * SSE-S3), kept on `cdk destroy` unless the deployment says destroyData=true.
 * - source: Stocks/, CompanyNames/, Output/, Scripts/ (with sql/insert_query.sql), as the seed
 *   lays it out. Unversioned: Output/ is rewritten on every run.
 * - monitored: versioned (a marker's identity is its upload's version: each upload of a
 *   `.SUCCESS` is a new run, a redelivered event is not), sending its events to EventBridge.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

import { PANEL_PORT, SOURCE_PREFIXES } from './constants';
import { acknowledge } from './nag';
import { REPOSITORY_ROOT } from './source-archive';

/** Where operators open the panel by default (the SSM port forward), the origin of its uploads. */
export const PANEL_UPLOAD_ORIGIN = `http://localhost:${PANEL_PORT}`;

export interface StorageProps {
  sourceBucketName: string;
  monitoredBucketName: string;
  destroyData: boolean;
}

export class Storage extends Construct {
  readonly source: s3.Bucket;
  readonly monitored: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      // A bucket is deleted only empty: with destroyData, CDK's custom resource empties it first.
      autoDeleteObjects: props.destroyData,
    };
    this.source = new s3.Bucket(this, 'Source', {
      ...common,
      bucketName: props.sourceBucketName,
      // A transform killed mid-upload leaves parts that cost storage and show nowhere.
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      // The panel's Upload page PUTs files here from the browser with presigned URLs; the browser
      // asks first (CORS preflight). Only the panel's SSM-tunnel origin: docs/DEPLOY.md.
      cors: [{ allowedMethods: [s3.HttpMethods.PUT], allowedOrigins: [PANEL_UPLOAD_ORIGIN], allowedHeaders: ['content-type'], exposedHeaders: ['ETag'], maxAge: 600 }],
    });
    this.monitored = new s3.Bucket(this, 'Monitored', {
      ...common,
      bucketName: props.monitoredBucketName,
      versioned: true,
      // Markers are empty; their old versions are history nobody reads after the run started.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
    });
    // Events to EventBridge, set on the bucket itself: CDK's notification API would add a
    // custom-resource Lambda allowed s3:PutBucketNotification on every bucket.
    (this.monitored.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    for (const bucket of [this.source, this.monitored]) {
      acknowledge(
        bucket,
        'AwsSolutions-S1',
        "No server access log bucket: a third bucket to keep and empty on teardown for two buckets only the stack's roles use; CloudTrail data events are the audit trail if one is needed.",
      );
    }
    this.seedLayout();
  }

  /** The seed's folders (empty keys ending in "/": what the console's "Create folder" makes) and Scripts/insert_query.sql. */
  private seedLayout(): void {
    const sql = readFileSync(join(REPOSITORY_ROOT, 'sql/insert_query.sql'), 'utf8');
    const objects: Array<{ id: string; key: string; body: string; contentType: string }> = [
      ...Object.values(SOURCE_PREFIXES).map((prefix) => ({ id: `Folder${prefix.slice(0, -1)}`, key: prefix, body: '', contentType: 'application/x-directory' })),
      { id: 'InsertQuery', key: `${SOURCE_PREFIXES.scripts}insert_query.sql`, body: sql, contentType: 'application/sql' },
    ];
    // The helper function's logs, removed with the stack (Lambda would otherwise create a group that stays).
    const logGroup = new logs.LogGroup(this, 'SeedLayoutLogs', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    for (const object of objects) {
      const put: cr.AwsSdkCall = {
        service: 'S3',
        action: 'PutObject',
        parameters: { Bucket: this.source.bucketName, Key: object.key, Body: object.body, ContentType: object.contentType },
        physicalResourceId: cr.PhysicalResourceId.of(`seed/${object.key}`),
      };
      // Created and updated with the stack; deleting the stack leaves them to the bucket's fate.
      new cr.AwsCustomResource(this, object.id, {
        onCreate: put,
        onUpdate: put,
        policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.source.arnForObjects(object.key)] })]),
        installLatestAwsSdk: false,
        logGroup,
      });
    }
    // The one function behind every AwsCustomResource of the stack (a singleton at stack level).
    const provider = Stack.of(this).node.findChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    acknowledge(
      provider,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's AwsCustomResource function (it writes the seed's folders and Scripts/insert_query.sql at deploy time): the basic execution policy only lets it write its own logs.",
    );
  }
}
