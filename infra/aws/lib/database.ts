/**
 * The PostgreSQL stockflow loads into: RDS, single-AZ micro instance, 20 GB gp3 without storage
 * autoscaling, in the isolated subnets, not publicly accessible, encrypted at rest, TLS required
 * (rds.force_ssl), its master credentials generated into Secrets Manager. The security group
 * (network.ts) admits the Airflow host and the panel only.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import { DATABASE_NAME, DATABASE_USER, POSTGRES_PORT } from './constants';
import { acknowledge } from './nag';

export interface DatabaseProps {
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  instanceType: string;
  destroyData: boolean;
}

export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** JSON: username, password, host, port, dbname (the user data builds DATABASE_URL from it). */
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });
    this.instance = new rds.DatabaseInstance(this, 'Postgres', {
      engine,
      instanceType: new ec2.InstanceType(props.instanceType),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      port: POSTGRES_PORT,
      publiclyAccessible: false,
      multiAz: false,
      allocatedStorage: 20,
      // No maxAllocatedStorage: storage autoscaling stays off (the bill stays what DEPLOY.md says).
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      credentials: rds.Credentials.fromGeneratedSecret(DATABASE_USER),
      databaseName: DATABASE_NAME,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      // PostgreSQL 15+ defaults to it; said here so a parameter change cannot silently drop it.
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', { engine, parameters: { 'rds.force_ssl': '1' } }),
      backupRetention: Duration.days(7),
      autoMinorVersionUpgrade: true,
      // Logs stay in RDS (console, `aws rds download-db-log-file-portion`): a CloudWatch export
      // would leave a log group behind on `npm run destroy`.
      // `cdk destroy` must be able to finish; the data survives in a final snapshot unless destroyData.
      deletionProtection: false,
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
    });
    this.secret = this.instance.secret!;

    acknowledge(this.instance, 'AwsSolutions-RDS3', 'Single-AZ on purpose: one daily batch load that can be re-run; Multi-AZ would double the database bill (docs/DEPLOY.md, costs).');
    acknowledge(
      this.instance,
      'AwsSolutions-RDS10',
      'Deletion protection would make `npm run destroy` fail; the data is kept by the final snapshot (removal policy SNAPSHOT) unless destroyData=true is asked for.',
    );
    acknowledge(
      this.instance,
      'AwsSolutions-RDS11',
      'The default port is part of the contract (DATABASE_URL, the issue: 5432); only the host and panel security groups reach it, so another port would hide nothing.',
    );
    acknowledge(
      this.instance.node.findChild('Secret'),
      'AwsSolutions-SMG4',
      'No automatic rotation: the Airflow host and the panel build DATABASE_URL from the secret at boot, so a rotation would break them until their next replacement; rotate by hand and redeploy (docs/DEPLOY.md).',
    );
  }
}
