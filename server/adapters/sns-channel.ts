import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import type { MailChannel } from '../ports/mail-channel';

export interface TopicSubscription {
  arn: string | null;
  protocol: string;
  endpoint: string;
  /** E-mail subscriptions stay pending until the recipient clicks the confirmation link. */
  pending: boolean;
}

/** Notifications through an SNS topic with e-mail subscriptions, and the topic's administration. */
export class SnsChannel implements MailChannel {
  readonly name = 'sns' as const;

  constructor(private readonly client: SNSClient, private topicArn: string | null) {}

  get topic(): string | null {
    return this.topicArn;
  }

  private requireTopic(): string {
    if (!this.topicArn) throw new Error('No SNS topic yet: create one or set SNS_TOPIC_ARN');
    return this.topicArn;
  }

  async deliver(message: { subject: string; body: string }): Promise<string> {
    // SNS e-mail subjects: ASCII, under 100 characters (the subject format guarantees both).
    const published = await this.client.send(new PublishCommand({ TopicArn: this.requireTopic(), Subject: message.subject, Message: message.body }));
    return published.MessageId ?? 'unknown';
  }

  /** Creates (or finds: CreateTopic is idempotent) a topic and uses it from now on. */
  async createTopic(name: string): Promise<string> {
    const created = await this.client.send(new CreateTopicCommand({ Name: name }));
    this.topicArn = created.TopicArn ?? null;
    return this.requireTopic();
  }

  useTopic(arn: string): void {
    this.topicArn = arn;
  }

  async subscribeEmail(address: string): Promise<string | null> {
    const subscribed = await this.client.send(new SubscribeCommand({ TopicArn: this.requireTopic(), Protocol: 'email', Endpoint: address, ReturnSubscriptionArn: false }));
    return subscribed.SubscriptionArn ?? null;
  }

  async listSubscriptions(): Promise<TopicSubscription[]> {
    const subscriptions: TopicSubscription[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListSubscriptionsByTopicCommand({ TopicArn: this.requireTopic(), NextToken: nextToken }));
      for (const subscription of page.Subscriptions ?? []) {
        const arn = subscription.SubscriptionArn ?? null;
        subscriptions.push({ arn: arn === 'PendingConfirmation' ? null : arn, protocol: subscription.Protocol ?? '', endpoint: subscription.Endpoint ?? '', pending: !arn || arn === 'PendingConfirmation' });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return subscriptions;
  }

  close(): void {
    this.client.destroy();
  }

  async unsubscribe(subscriptionArn: string): Promise<void> {
    await this.client.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
  }
}
