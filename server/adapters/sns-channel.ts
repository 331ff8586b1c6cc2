import { CreateTopicCommand, ListSubscriptionsByTopicCommand, PublishCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';

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

  /**
   * `topic` is asked on every use: the panel may choose a topic in another process (the web
   * server) while this one (the worker) delivers.
   */
  constructor(
    private readonly client: SNSClient,
    private readonly topic: () => Promise<string | null>,
  ) {}

  /** A channel with its own SNS client (services.ts loads this module only when SNS is configured). */
  static open(client: { region: string; endpoint?: string }, topic: () => Promise<string | null>): SnsChannel {
    return new SnsChannel(new SNSClient(client), topic);
  }

  currentTopic(): Promise<string | null> {
    return this.topic();
  }

  private async requireTopic(): Promise<string> {
    const arn = await this.topic();
    if (!arn) throw new SnsSetupError('No SNS topic yet: create one in the panel or set SNS_TOPIC_ARN');
    return arn;
  }

  async deliver(message: { subject: string; body: string }): Promise<string> {
    // SNS e-mail subjects: ASCII, under 100 characters (the subject format guarantees both).
    const published = await this.client.send(new PublishCommand({ TopicArn: await this.requireTopic(), Subject: message.subject, Message: message.body }));
    return published.MessageId ?? 'unknown';
  }

  /** Creates a topic (or finds it: CreateTopic is idempotent) and returns its ARN. */
  async createTopic(name: string): Promise<string> {
    const created = await this.client.send(new CreateTopicCommand({ Name: name }));
    if (!created.TopicArn) throw new SnsSetupError(`SNS returned no ARN for topic ${name}`);
    return created.TopicArn;
  }

  async subscribeEmail(address: string): Promise<string | null> {
    const subscribed = await this.client.send(new SubscribeCommand({ TopicArn: await this.requireTopic(), Protocol: 'email', Endpoint: address, ReturnSubscriptionArn: false }));
    return subscribed.SubscriptionArn ?? null;
  }

  async listSubscriptions(): Promise<TopicSubscription[]> {
    const subscriptions: TopicSubscription[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListSubscriptionsByTopicCommand({ TopicArn: await this.requireTopic(), NextToken: nextToken }));
      for (const subscription of page.Subscriptions ?? []) {
        const arn = subscription.SubscriptionArn ?? null;
        subscriptions.push({
          arn: arn === 'PendingConfirmation' ? null : arn,
          protocol: subscription.Protocol ?? '',
          endpoint: subscription.Endpoint ?? '',
          pending: !arn || arn === 'PendingConfirmation',
        });
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

/** An SNS setup problem operators can act on (shown in the panel). */
export class SnsSetupError extends Error {
  readonly expose = true;
  constructor(message: string) {
    super(message);
    this.name = 'SnsSetupError';
  }
}
