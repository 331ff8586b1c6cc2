import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { markerRunId } from './marker-run-id';
import { decodeEventKey, EventParseError, parseEventDelivery } from './s3-event';

const fixture = (name: string): string => readFileSync(`test/fixtures/${name}`, 'utf8');

describe('S3 event parsing', () => {
  it('finds the .SUCCESS markers of a real S3 event and ignores other keys', () => {
    const delivery = parseEventDelivery(fixture('s3-event-put.json'));
    assert.deepEqual(delivery, {
      kind: 'markers',
      markers: [{ bucket: 's3://stockflow-monitored/', key: 'daily/2026-11-25/.SUCCESS', etag: 'd41d8cd98f00b204e9800998ecf8427e' }],
      ignored: 1,
    });
  });

  it('unwraps an SNS notification and URL-decodes the key (+ is a space)', () => {
    const delivery = parseEventDelivery(fixture('sns-wrapped-s3-event.json'));
    assert.equal(delivery.kind, 'markers');
    assert.equal(delivery.kind === 'markers' && delivery.markers[0]!.key, 'batch 2026/11/25/.SUCCESS');
    assert.equal(decodeEventKey('a+b%2Bc'), 'a b+c');
  });

  it('answers test events and SNS subscription confirmations without markers', () => {
    assert.deepEqual(parseEventDelivery('{"Event":"s3:TestEvent","Service":"Amazon S3"}'), { kind: 'test' });
    const confirmation = parseEventDelivery(JSON.stringify({ Type: 'SubscriptionConfirmation', Message: 'x', SubscribeURL: 'https://sns/confirm', TopicArn: 'arn:t' }));
    assert.deepEqual(confirmation, { kind: 'subscription', subscribeUrl: 'https://sns/confirm', topicArn: 'arn:t' });
  });

  it('refuses bodies that are not events, naming the problem', () => {
    assert.throws(() => parseEventDelivery('nope'), EventParseError);
    assert.throws(() => parseEventDelivery('{"Records":[{"eventName":"ObjectCreated:Put"}]}'), /Records.0.s3/);
  });

  it('derives one run id per marker version', () => {
    const marker = { bucket: 's3://b/', key: 'x/.SUCCESS', etag: 'e1' };
    assert.equal(markerRunId(marker), markerRunId({ ...marker }));
    assert.notEqual(markerRunId(marker), markerRunId({ ...marker, etag: 'e2' }));
    assert.match(markerRunId(marker), /^event__[0-9a-f]{24}$/);
  });
});
