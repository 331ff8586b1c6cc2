/**
 * The VPC and who may talk to whom, in one place.
 *
 * Two subnet tiers in two AZs, no NAT gateway (~$33/month saved): public subnets for the two
 * instances (they need the internet for packages, images and AWS APIs; their security groups
 * admit no connection from it), isolated subnets for the database and the Lambda (nothing in or
 * out but the VPC). S3 goes through a free gateway endpoint; the Lambda reads its secret through a
 * Secrets Manager interface endpoint, its only way out besides the Airflow host.
 *
 * | from                 | to             | port |
 * |----------------------|----------------|------|
 * | Lambda, panel        | Airflow host   | 8080 |
 * | Airflow host, panel  | database       | 5432 |
 * | Lambda, host, panel  | Secrets Mgr ep | 443  |
 * | operator CIDR (opt.) | panel          | 3000 |
 * No other ingress: no SSH (Session Manager instead), nothing from 0.0.0.0/0 or ::/0.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import { AIRFLOW_PORT, PANEL_PORT, POSTGRES_PORT } from './constants';

export interface NetworkProps {
  /** When set, the panel also admits its port from this network. */
  operatorCidr: string | undefined;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly hostSecurityGroup: ec2.SecurityGroup;
  readonly panelSecurityGroup: ec2.SecurityGroup;
  readonly lambdaSecurityGroup: ec2.SecurityGroup;
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Nothing uses the default security group; restricting it would add a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });
    // Rejected connections only: what the security groups turned away, at a few cents a month.
    this.vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })),
    });
    this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetType: ec2.SubnetType.PUBLIC }, { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });

    const group = (id: string, description: string): ec2.SecurityGroup =>
      // No implicit "all outbound": every way out is a rule below.
      new ec2.SecurityGroup(this, id, { vpc: this.vpc, description, allowAllOutbound: false });
    this.hostSecurityGroup = group('HostSecurityGroup', 'stockflow Airflow host: API port from the trigger and the panel only');
    this.panelSecurityGroup = group('PanelSecurityGroup', 'stockflow control panel: reached through SSM (no ingress) or the operator CIDR');
    this.lambdaSecurityGroup = group('LambdaSecurityGroup', 'stockflow trigger Lambda: reaches the Airflow API and Secrets Manager only');
    this.databaseSecurityGroup = group('DatabaseSecurityGroup', 'stockflow RDS PostgreSQL: from the Airflow host and the panel only');
    this.endpointSecurityGroup = group('SecretsEndpointSecurityGroup', 'Secrets Manager endpoint: from the stack groups only');

    // One interface endpoint, in one AZ ($7.30/month instead of $14.60): the Lambda cannot reach
    // Secrets Manager otherwise. Private DNS makes the instances use it too, hence their rules.
    this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: { subnets: [this.vpc.isolatedSubnets[0]!] },
      securityGroups: [this.endpointSecurityGroup],
      open: false,
      privateDnsEnabled: true,
    });

    const allow = (from: ec2.SecurityGroup, to: ec2.SecurityGroup, port: number, why: string): void => {
      from.connections.allowTo(to, ec2.Port.tcp(port), why);
    };
    allow(this.lambdaSecurityGroup, this.hostSecurityGroup, AIRFLOW_PORT, 'trigger Lambda to the Airflow REST API');
    allow(this.panelSecurityGroup, this.hostSecurityGroup, AIRFLOW_PORT, 'panel to the Airflow REST API');
    allow(this.hostSecurityGroup, this.databaseSecurityGroup, POSTGRES_PORT, 'Airflow tasks to PostgreSQL');
    allow(this.panelSecurityGroup, this.databaseSecurityGroup, POSTGRES_PORT, 'panel to PostgreSQL');
    for (const client of [this.lambdaSecurityGroup, this.hostSecurityGroup, this.panelSecurityGroup]) {
      allow(client, this.endpointSecurityGroup, 443, 'Secrets Manager through the interface endpoint');
    }
    // The instances' way out: HTTPS to packages, images, GitHub, npm and the AWS APIs.
    for (const instance of [this.hostSecurityGroup, this.panelSecurityGroup]) {
      instance.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS out: packages, images, AWS APIs');
    }
    if (props.operatorCidr) {
      this.panelSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.operatorCidr), ec2.Port.tcp(PANEL_PORT), "operators' network to the panel (plain HTTP)");
    }
  }
}
