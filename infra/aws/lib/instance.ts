/**
 * What the Airflow host and the panel instance share: Amazon Linux 2023 for the instance type's
 * architecture, a public subnet (their only way to the internet: no NAT gateway) behind a
 * security group without SSH, no key pair (operators use Session Manager), IMDSv2 required with a
 * hop limit of 2 (the containers behind Docker's bridge get the instance role's credentials; with
 * 1 the token answer dies one hop short), an encrypted gp3 root volume, and user data that
 * replaces the instance when it changes (it runs once, at first boot: a new checkout or setting
 * takes a new instance).
 */
import { Aws } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import { acknowledge } from './nag';
import type { Identity } from './settings';
import { buildSourceArchive } from './source-archive';

/** What the Airflow host and the panel are both built from. */
export interface StockflowPartProps {
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  instanceType: string;
  source: IBucket;
  topic: ITopic;
  databaseSecret: ISecret;
  airflowSecret: ISecret;
  identity: Identity;
  name: string;
}

/**
 * The repository files an instance builds from, as an S3 asset, and the secrets its user data reads:
 * the same for both parts.
 */
export function partSources(scope: Construct, name: string, files: readonly string[], props: StockflowPartProps) {
  const packed = buildSourceArchive(name, files);
  const archive = new s3assets.Asset(scope, 'Source', { path: packed.path, assetHash: packed.hash });
  return {
    location: { bucket: archive.s3BucketName, key: archive.s3ObjectKey },
    secrets: { region: Aws.REGION, databaseSecretArn: props.databaseSecret.secretArn, airflowSecretArn: props.airflowSecret.secretArn },
  };
}

export interface StockflowInstanceProps {
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  instanceType: string;
  rootVolumeGb: number;
  /** The role's own permissions (permissions.ts), beside Session Manager's. */
  statements: iam.PolicyStatement[];
  roleDescription: string;
  commands: string[];
  name: string;
}

/** An instance and its role (one role per part). */
export class StockflowInstance extends Construct {
  readonly instance: ec2.Instance;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StockflowInstanceProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: props.roleDescription,
      // Session Manager (shell and port forwarding) instead of SSH: an AWS managed policy, not a *FullAccess one.
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
      inlinePolicies: { stockflow: new iam.PolicyDocument({ statements: props.statements }) },
    });
    acknowledge(
      this.role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AmazonSSMManagedInstanceCore is what the SSM agent needs for Session Manager, which replaces SSH (no port 22, no key pair); AWS maintains it as the agent changes.',
    );

    const instanceType = new ec2.InstanceType(props.instanceType);
    const userData = ec2.UserData.forLinux();
    userData.addCommands(...props.commands);
    this.instance = new ec2.Instance(this, 'Instance', {
      instanceName: props.name,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: props.securityGroup,
      instanceType,
      machineImage: ec2.MachineImage.latestAmazonLinux2023({
        cpuType: instanceType.architecture === ec2.InstanceArchitecture.ARM_64 ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64,
      }),
      role: this.role,
      userData,
      userDataCausesReplacement: true,
      httpEndpoint: true,
      httpTokens: ec2.HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 2,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGb, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
        },
      ],
    });
    acknowledge(this.instance, 'AwsSolutions-EC28', 'Basic (5-minute) monitoring is enough for one batch host; detailed monitoring costs about $2/month per instance.');
    acknowledge(
      this.instance,
      'AwsSolutions-EC29',
      'No termination protection and no Auto Scaling group: `npm run destroy` must remove the instance, and the instance is rebuilt from user data (stateless apart from RDS).',
    );
  }
}
