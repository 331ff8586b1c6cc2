/**
 * The seed's SNS topic (`{cohort}-mbd-predict-{first}-{surname}-SNS`): the notify step publishes
 * each run's outcome to it, the trigger's dead-letter alarm too, and every operator e-mail from
 * the context is subscribed (each address confirms once, from the mail AWS sends).
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationsProps {
  topicName: string;
  operatorEmails: readonly string[];
}

export class Notifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { topicName: props.topicName, displayName: 'stockflow', enforceSSL: true });
    for (const email of props.operatorEmails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    // The topic policy that enforceSSL writes replaces SNS's default one: CloudWatch alarms of this
    // account need their own allowance to publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
  }
}
