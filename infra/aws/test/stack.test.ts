/**
 * The rules, asserted on the synthesized CloudFormation template (aws-cdk-lib/assertions):
 * network exposure, the database, the buckets, the trigger, the instances, notifications, the
 * outputs and every role's permissions. Synthesized once, offline, with fixed context.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Match } from 'aws-cdk-lib/assertions';

import { getAtt, logicalId, ref, renderIntrinsics, resourcesOf, synthesize, type Synthesized, TEST_CONTEXT } from './synth';

type Properties = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every Allow statement of the template: roles' inline policies, managed and attached policies, resource policies. */
function allowStatements(template: Synthesized['template']): Statement[] {
  const documents = [
    ...resourcesOf(template, 'AWS::IAM::Role').flatMap(([, properties]) => asArray(properties.Policies as Array<{ PolicyDocument: unknown }>).map((policy) => policy.PolicyDocument)),
    ...['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'].flatMap((type) =>
      resourcesOf(template, type).map(([, properties]) => properties.PolicyDocument),
    ),
  ] as Array<{ Statement: Statement[] }>;
  return documents.flatMap((document) => document.Statement).filter((statement) => statement.Effect === 'Allow');
}

/** No `*` action and no whole service (`s3:*`) allowed to anyone. */
function assertNoWildcardActions(template: Synthesized['template']): void {
  const statements = allowStatements(template);
  assert.ok(statements.length > 10);
  for (const statement of statements) {
    for (const action of asArray(statement.Action)) assert.ok(action !== '*' && !action.endsWith(':*'), `wildcard action ${action}`);
  }
}

describe('the stack', () => {
  let synth: Synthesized;
  before(() => {
    // cdk-nag and CloudFormation's schema checks run in nag.test.ts.
    synth = synthesize({}, { nag: false, cfnValidation: false });
  });
  after(() => synth.cleanup());

  /** Every ingress rule of the template: inline in a security group or a separate resource. */
  function ingressRules(): Array<Properties & { GroupId: unknown }> {
    const inline = resourcesOf(synth.template, 'AWS::EC2::SecurityGroup').flatMap(([id, properties]) =>
      asArray(properties.SecurityGroupIngress as Properties[]).map((rule) => ({ ...rule, GroupId: { 'Fn::GetAtt': [id, 'GroupId'] } })),
    );
    const separate = resourcesOf(synth.template, 'AWS::EC2::SecurityGroupIngress').map(([, properties]) => properties as Properties & { GroupId: unknown });
    return [...inline, ...separate];
  }

  describe('network', () => {
    it('admits nothing from 0.0.0.0/0 or ::/0, anywhere', () => {
      const rules = ingressRules();
      assert.ok(rules.length > 0);
      for (const rule of rules) {
        assert.notEqual(rule.CidrIp, '0.0.0.0/0', JSON.stringify(rule));
        assert.notEqual(rule.CidrIpv6, '::/0', JSON.stringify(rule));
      }
    });

    it('has no SSH: no rule reaches port 22 and no instance has a key pair', () => {
      for (const rule of ingressRules()) {
        const all = rule.IpProtocol === '-1';
        assert.ok(!all && !((rule.FromPort as number) <= 22 && (rule.ToPort as number) >= 22), `reaches port 22: ${JSON.stringify(rule)}`);
      }
      for (const [id, properties] of resourcesOf(synth.template, 'AWS::EC2::Instance')) assert.equal(properties.KeyName, undefined, id);
    });

    it('admits exactly: Lambda and panel -> Airflow API, host and panel -> PostgreSQL, the three -> Secrets Manager endpoint', () => {
      const { network } = synth.stack;
      const group = (sg: typeof network.hostSecurityGroup): unknown => getAtt(sg, 'GroupId');
      const actual = ingressRules()
        .map((rule) => JSON.stringify([rule.GroupId, rule.SourceSecurityGroupId ?? rule.CidrIp, rule.FromPort, rule.ToPort]))
        .sort();
      const expected = [
        [group(network.hostSecurityGroup), group(network.lambdaSecurityGroup), 8080, 8080],
        [group(network.hostSecurityGroup), group(network.panelSecurityGroup), 8080, 8080],
        [group(network.databaseSecurityGroup), group(network.hostSecurityGroup), 5432, 5432],
        [group(network.databaseSecurityGroup), group(network.panelSecurityGroup), 5432, 5432],
        [group(network.endpointSecurityGroup), group(network.lambdaSecurityGroup), 443, 443],
        [group(network.endpointSecurityGroup), group(network.hostSecurityGroup), 443, 443],
        [group(network.endpointSecurityGroup), group(network.panelSecurityGroup), 443, 443],
      ]
        .map((rule) => JSON.stringify(rule))
        .sort();
      assert.deepEqual(actual, expected);
    });

    it('routes S3 through a gateway endpoint and Secrets Manager through a private interface endpoint', () => {
      synth.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }) });
      synth.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.secretsmanager'])] }),
        SecurityGroupIds: [getAtt(synth.stack.network.endpointSecurityGroup, 'GroupId')],
      });
    });

    it('has no NAT gateway (the instances use their public subnet, the rest stays isolated)', () => {
      synth.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    });
  });

  describe('database', () => {
    it('is RDS PostgreSQL 16+, micro, 20 GB without autoscaling, single-AZ, private, encrypted', () => {
      const [, db] = resourcesOf(synth.template, 'AWS::RDS::DBInstance')[0]!;
      assert.equal(db.Engine, 'postgres');
      assert.ok(Number.parseInt(String(db.EngineVersion), 10) >= 16, `engine ${String(db.EngineVersion)}`);
      assert.match(String(db.DBInstanceClass), /^db\.(t3|t4g)\.micro$/);
      assert.equal(db.AllocatedStorage, '20');
      assert.equal(db.MaxAllocatedStorage, undefined, 'no storage autoscaling');
      assert.equal(db.MultiAZ, false);
      assert.equal(db.PubliclyAccessible, false);
      assert.equal(db.StorageEncrypted, true);
      assert.deepEqual(db.VPCSecurityGroups, [getAtt(synth.stack.network.databaseSecurityGroup, 'GroupId')]);
    });

    it('lives in the isolated subnets', () => {
      const isolated = synth.stack.network.vpc.isolatedSubnets.map((subnet) => ref(subnet));
      synth.template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: isolated });
    });

    it('keeps a final snapshot on destroy (unless destroyData)', () => {
      synth.template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
    });

    it('requires TLS and keeps its credentials in Secrets Manager', () => {
      synth.template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: Match.stringLikeRegexp('^postgres1[6-9]'), Parameters: { 'rds.force_ssl': '1' } });
      synth.template.hasResourceProperties('AWS::RDS::DBInstance', {
        MasterUserPassword: { 'Fn::Join': ['', Match.arrayWith(['{{resolve:secretsmanager:', ':SecretString:password::}}'])] },
      });
      synth.template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"stockflow"}' }) });
    });
  });

  describe('buckets', () => {
    const expectedNames = ['de2401-mbd-predict-ada-lovelace-s3-source', 'de2401-mbd-predict-ada-lovelace-monitored-bucket'];

    it('are named after the seed, lower-cased', () => {
      assert.deepEqual(
        resourcesOf(synth.template, 'AWS::S3::Bucket')
          .map(([, properties]) => properties.BucketName)
          .sort(),
        [...expectedNames].sort(),
      );
    });

    it('block all public access, encrypt, and are kept on destroy', () => {
      for (const [id, properties] of resourcesOf(synth.template, 'AWS::S3::Bucket')) {
        assert.deepEqual(properties.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true }, id);
        assert.ok((properties.BucketEncryption as { ServerSideEncryptionConfiguration: unknown[] }).ServerSideEncryptionConfiguration.length > 0, id);
      }
      const policies = synth.template.findResources('AWS::S3::Bucket');
      for (const [id, resource] of Object.entries(policies))
        assert.deepEqual([(resource as { DeletionPolicy?: string }).DeletionPolicy, (resource as { UpdateReplacePolicy?: string }).UpdateReplacePolicy], ['Retain', 'Retain'], id);
      synth.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    });

    it('refuse every request without TLS', () => {
      for (const bucket of [synth.stack.storage.source, synth.stack.storage.monitored]) {
        synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: ref(bucket),
          PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
        });
      }
    });

    it('version the monitored bucket (one run per upload) and send its events to EventBridge', () => {
      synth.template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: expectedNames[1],
        VersioningConfiguration: { Status: 'Enabled' },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
      synth.template.hasResourceProperties('AWS::S3::Bucket', { BucketName: expectedNames[0], VersioningConfiguration: Match.absent() });
    });

    it('lay out the source bucket as the seed does, Scripts/insert_query.sql included', () => {
      const keys = resourcesOf(synth.template, 'Custom::AWS').map(([, properties]) => JSON.parse(renderIntrinsics(properties.Create)) as { parameters: { Key: string; Body: string } });
      assert.deepEqual(keys.map((call) => call.parameters.Key).sort(), ['CompanyNames/', 'Output/', 'Scripts/', 'Scripts/insert_query.sql', 'Stocks/']);
      assert.match(keys.find((call) => call.parameters.Key === 'Scripts/insert_query.sql')!.parameters.Body, /-- name: /);
    });
  });

  describe('trigger', () => {
    it('reacts to .SUCCESS uploads of the monitored bucket only', () => {
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: { bucket: { name: [ref(synth.stack.storage.monitored)] }, object: { key: [{ suffix: '.SUCCESS' }] } },
        },
        Targets: [Match.objectLike({ Arn: getAtt(synth.stack.trigger.function, 'Arn'), DeadLetterConfig: { Arn: getAtt(synth.stack.trigger.deadLetterQueue, 'Arn') } })],
      });
    });

    it('is the infra/lambda bundle on nodejs22.x, in the isolated subnets, behind its own security group', () => {
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'handler.handler',
        Runtime: 'nodejs22.x',
        VpcConfig: {
          SubnetIds: synth.stack.network.vpc.isolatedSubnets.map((subnet) => ref(subnet)),
          SecurityGroupIds: [getAtt(synth.stack.network.lambdaSecurityGroup, 'GroupId')],
        },
        Environment: {
          Variables: Match.objectLike({
            AIRFLOW_URL: { 'Fn::Join': ['', ['http://', getAtt(synth.stack.host.instance, 'PrivateIp'), ':8080']] },
            AIRFLOW_PASSWORD_SECRET_ARN: ref(synth.stack.airflowSecret),
          }),
        },
      });
    });

    it('sends failed events to an encrypted dead-letter queue whose first message raises an alarm to the topic', () => {
      synth.template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'handler.handler', DeadLetterConfig: { TargetArn: getAtt(synth.stack.trigger.deadLetterQueue, 'Arn') } });
      synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
      synth.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(synth.stack.trigger.deadLetterQueue, 'QueueName') }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [ref(synth.stack.notifications.topic)],
      });
    });
  });

  describe('instances', () => {
    it('require IMDSv2 with a hop limit of 2 (containers use the instance role), on encrypted volumes', () => {
      const instances = resourcesOf(synth.template, 'AWS::EC2::Instance');
      assert.equal(instances.length, 2, 'the Airflow host and the panel');
      for (const [id, properties] of instances) {
        assert.deepEqual(properties.MetadataOptions, { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 2 }, id);
        for (const device of properties.BlockDeviceMappings as Array<{ Ebs: { Encrypted: boolean } }>) assert.equal(device.Ebs.Encrypted, true, id);
        // The latest AMI, through the SSM public parameter CloudFormation resolves at deploy time.
        const parameter = (properties.ImageId as { Ref: string }).Ref;
        const parameters = synth.template.toJSON().Parameters as Record<string, { Default: string }>;
        assert.match(parameters[parameter]!.Default, /^\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-kernel-[\d.]+-x86_64$/, `${id}: Amazon Linux 2023`);
      }
    });

    it('runs the Airflow host on t3.medium with an Elastic IP, the panel on its own instance', () => {
      synth.template.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't3.medium', SecurityGroupIds: [getAtt(synth.stack.network.hostSecurityGroup, 'GroupId')] });
      synth.template.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't3.micro', SecurityGroupIds: [getAtt(synth.stack.network.panelSecurityGroup, 'GroupId')] });
      synth.template.hasResourceProperties('AWS::EC2::EIP', { Domain: 'vpc', InstanceId: ref(synth.stack.host.instance) });
    });

    it('install Docker and compose, write their env file and start: the Airflow compose on the host, the panel container on the panel', () => {
      const text = (instance: typeof synth.stack.host.instance): string => renderIntrinsics(resourcesOf(synth.template, 'AWS::EC2::Instance').find(([id]) => id === logicalId(instance))![1].UserData);
      const host = text(synth.stack.host.instance);
      for (const step of ['dnf install -y docker', 'docker-compose-linux-', "cat > '/opt/stockflow/infra/airflow/.env'", 'cd /opt/stockflow/infra/airflow && docker compose up -d --build'])
        assert.ok(host.includes(step), step);
      const panel = text(synth.stack.panel.instance);
      assert.ok(panel.includes('-p 127.0.0.1:3000:3000'), 'the panel listens on localhost only (SSM port forwarding)');
      assert.ok(panel.includes('docker build -f /opt/stockflow/infra/aws/panel.Dockerfile'));
    });
  });

  describe('notifications', () => {
    it("has the seed's topic name, TLS only, and the operators' e-mail subscriptions", () => {
      synth.template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'DE2401-mbd-predict-Ada-Lovelace-SNS' });
      synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      const endpoints = resourcesOf(synth.template, 'AWS::SNS::Subscription').map(([, properties]) => [properties.Protocol, properties.Endpoint]);
      assert.deepEqual(
        endpoints,
        TEST_CONTEXT.operatorEmails.split(',').map((email) => ['email', email]),
      );
    });
  });

  describe('outputs', () => {
    it('give the bucket names, topic ARN and name, static IP, panel access command and the submission row', () => {
      const outputs = synth.template.findOutputs('*');
      for (const name of ['SourceBucketName', 'MonitoredBucketName', 'TopicArn', 'TopicName', 'StaticIp', 'PanelAccessCommand', 'SubmissionCsv']) assert.ok(outputs[name], name);
      assert.match(
        renderIntrinsics(outputs.PanelAccessCommand!.Value),
        /^aws ssm start-session --region <Ref:AWS::Region> --target <Ref:Panel\w+> --document-name AWS-StartPortForwardingSession --parameters portNumber=3000,localPortNumber=3000$/,
      );
      const staticIp = `<GetAtt:${logicalId(synth.stack.host.staticIp)}.PublicIp>`;
      assert.equal(
        renderIntrinsics(outputs.SubmissionCsv!.Value),
        `Name,Surname,Source_bucket,Monitored_bucket,SNS_topic,Static_IP\nAda,Lovelace,<Ref:${logicalId(synth.stack.storage.source)}>,<Ref:${logicalId(synth.stack.storage.monitored)}>,<GetAtt:${logicalId(synth.stack.notifications.topic)}.TopicName>,${staticIp}`,
      );
    });
  });

  describe('permissions', () => {
    /** A role's statements: its inline policies and the policies attached to it. */
    function statementsOf(role: { node: { defaultChild?: unknown } } & object): Statement[] {
      const id = logicalId(role as never);
      const [, properties] = resourcesOf(synth.template, 'AWS::IAM::Role').find(([roleId]) => roleId === id)!;
      const inline = asArray(properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((policy) => policy.PolicyDocument.Statement);
      const attached = resourcesOf(synth.template, 'AWS::IAM::Policy')
        .filter(([, policy]) => asArray(policy.Roles as unknown[]).some((roleRef) => JSON.stringify(roleRef) === JSON.stringify({ Ref: id })))
        .flatMap(([, policy]) => (policy.PolicyDocument as { Statement: Statement[] }).Statement);
      return [...inline, ...attached];
    }
    const actionsOf = (statements: Statement[]): string[] => [...new Set(statements.flatMap((statement) => asArray(statement.Action)))].sort();
    const resourcesFor = (statements: Statement[], action: string): string[] =>
      statements
        .filter((statement) => asArray(statement.Action).includes(action))
        .flatMap((statement) => asArray(statement.Resource).map(renderIntrinsics))
        .sort();

    it('never grants `*` or a whole service, nor a *FullAccess managed policy, to anyone', () => {
      assertNoWildcardActions(synth.template);
      for (const [id, properties] of resourcesOf(synth.template, 'AWS::IAM::Role')) {
        for (const arn of asArray(properties.ManagedPolicyArns as unknown[])) assert.doesNotMatch(renderIntrinsics(arn), /FullAccess/, id);
      }
    });

    it('Airflow host: reads Stocks/ and CompanyNames/, writes Output/, publishes to the topic, reads its secrets and source', () => {
      const role = synth.stack.host.instance.role;
      const statements = statementsOf(role);
      const source = `<GetAtt:${logicalId(synth.stack.storage.source)}.Arn>`;
      assert.deepEqual(actionsOf(statements), [
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetObject',
        's3:ListBucket',
        's3:ListBucketMultipartUploads',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
      ]);
      assert.deepEqual(resourcesFor(statements, 's3:PutObject'), [`${source}/Output/*`]);
      assert.deepEqual(resourcesFor(statements, 's3:DeleteObject'), [`${source}/Output/*`]);
      assert.deepEqual(
        resourcesFor(statements, 's3:GetObject').filter((arn) => arn.startsWith(source)),
        [`${source}/CompanyNames/*`, `${source}/Output/*`, `${source}/Stocks/*`],
      );
      assert.equal(resourcesFor(statements, 's3:GetObject').filter((arn) => !arn.startsWith(source)).length, 1, 'plus its source archive only');
      const list = statements.find((statement) => asArray(statement.Action).includes('s3:ListBucket'))!;
      assert.deepEqual(list.Condition, { StringLike: { 's3:prefix': ['Stocks/*', 'CompanyNames/*', 'Output/*'] } });
      assert.deepEqual(resourcesFor(statements, 'sns:Publish'), [`<Ref:${logicalId(synth.stack.notifications.topic)}>`]);
      assert.deepEqual(resourcesFor(statements, 'secretsmanager:GetSecretValue'), [`<Ref:${logicalId(synth.stack.airflowSecret)}>`, `<Ref:${logicalId(synth.stack.database.secret as never)}>`].sort());
      synth.template.hasResourceProperties('AWS::IAM::Role', {
        Policies: Match.anyValue(),
        ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
        Description: Match.stringLikeRegexp('Airflow host'),
      });
    });

    it("panel: describes, starts and stops only the host, manages only the topic's subscriptions, reads Output/, signs uploads of source files", () => {
      const statements = statementsOf(synth.stack.panel.role);
      assert.deepEqual(actionsOf(statements), [
        'ec2:DescribeInstances',
        'ec2:StartInstances',
        'ec2:StopInstances',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'sns:ListSubscriptionsByTopic',
        'sns:Publish',
        'sns:Subscribe',
        'sns:Unsubscribe',
      ]);
      const host = `arn:<Ref:AWS::Partition>:ec2:<Ref:AWS::Region>:<Ref:AWS::AccountId>:instance/<Ref:${logicalId(synth.stack.host.instance)}>`;
      assert.deepEqual(resourcesFor(statements, 'ec2:StartInstances'), [host]);
      assert.deepEqual(resourcesFor(statements, 'ec2:StopInstances'), [host]);
      const topic = `<Ref:${logicalId(synth.stack.notifications.topic)}>`;
      for (const action of ['sns:Subscribe', 'sns:ListSubscriptionsByTopic', 'sns:Publish']) assert.deepEqual(resourcesFor(statements, action), [topic], action);
      assert.deepEqual(resourcesFor(statements, 'sns:Unsubscribe'), [topic, `${topic}:*`].sort());
      const source = `<GetAtt:${logicalId(synth.stack.storage.source)}.Arn>`;
      assert.deepEqual(
        resourcesFor(statements, 's3:GetObject').filter((arn) => arn.startsWith(source)),
        [`${source}/Output/*`],
      );
      assert.deepEqual(resourcesFor(statements, 's3:PutObject'), [`${source}/CompanyNames/top_companies.txt`, `${source}/Stocks/*`]);
    });

    it("source bucket: browsers may PUT to it from the panel's origin only (presigned uploads)", () => {
      synth.template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: Match.anyValue(),
        CorsConfiguration: { CorsRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['http://localhost:3000'], AllowedHeaders: ['content-type'], ExposedHeaders: ['ETag'], MaxAge: 600 }] },
      });
      const withCors = [...resourcesOf(synth.template, 'AWS::S3::Bucket')].filter(([, properties]) => properties.CorsConfiguration);
      assert.deepEqual(
        withCors.map(([id]) => id),
        [logicalId(synth.stack.storage.source)],
      );
    });

    it('Lambda: its logs, its VPC interfaces, the Airflow password, its dead-letter queue; no managed policy', () => {
      const statements = statementsOf(synth.stack.trigger.function.role as never);
      assert.deepEqual(actionsOf(statements), [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
      ]);
      assert.deepEqual(resourcesFor(statements, 'sqs:SendMessage'), [`<GetAtt:${logicalId(synth.stack.trigger.deadLetterQueue)}.Arn>`]);
      assert.deepEqual(resourcesFor(statements, 'secretsmanager:GetSecretValue'), [`<Ref:${logicalId(synth.stack.airflowSecret)}>`]);
      synth.template.hasResourceProperties('AWS::IAM::Role', { Description: Match.stringLikeRegexp('trigger Lambda'), ManagedPolicyArns: Match.absent() });
    });

    it('one role per part', () => {
      const roles = [synth.stack.host.instance.role, synth.stack.panel.role, synth.stack.trigger.function.role!].map((role) => logicalId(role as never));
      assert.equal(new Set(roles).size, 3);
    });
  });
});

describe('the stack with destroyData=true and an operator CIDR', () => {
  let synth: Synthesized;
  before(() => {
    synth = synthesize({ destroyData: 'true', operatorCidr: '203.0.113.7/32' }, { nag: false, cfnValidation: false });
  });
  after(() => synth.cleanup());

  it('deletes the buckets (emptied first) and the database without a snapshot on destroy', () => {
    for (const [id, resource] of Object.entries(synth.template.findResources('AWS::S3::Bucket'))) assert.equal((resource as { DeletionPolicy: string }).DeletionPolicy, 'Delete', id);
    synth.template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    synth.template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Delete' });
  });

  it("grants no wildcard action either (CDK's bucket-emptying function included)", () => {
    assertNoWildcardActions(synth.template);
  });

  it('admits the panel port from the operator CIDR only, and the panel listens for it', () => {
    const cidrRules = resourcesOf(synth.template, 'AWS::EC2::SecurityGroup').flatMap(([, properties]) => asArray(properties.SecurityGroupIngress as Properties[]));
    assert.deepEqual(cidrRules, [{ CidrIp: '203.0.113.7/32', Description: "operators' network to the panel (plain HTTP)", FromPort: 3000, IpProtocol: 'tcp', ToPort: 3000 }]);
    const panel = renderIntrinsics(resourcesOf(synth.template, 'AWS::EC2::Instance').find(([id]) => id === logicalId(synth.stack.panel.instance))![1].UserData);
    assert.ok(panel.includes('-p 3000:3000 '));
    assert.ok(panel.includes('STOCKFLOW_INSECURE_COOKIES=1'));
  });
});
