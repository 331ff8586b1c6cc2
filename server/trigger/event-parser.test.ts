import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { parseBucketLocation } from '../config';
import { decodeS3Key, parseDelivery, type ParseSettings } from './event-parser';
import { markerRunId } from './marker-run-id';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`test/fixtures/${name}`, 'utf8')) as Record<string, unknown>;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:stockflow-markers';
const settings: ParseSettings = { bucket: parseBucketLocation('s3://stockflow-monitored'), snsTopicArn: null };

/** An S3 notification with one record, as the fixtures spell it. */
function s3Event(object: Record<string, unknown>, options: { bucket?: string; eventName?: string } = {}): unknown {
  return { Records: [{ eventSource: 'aws:s3', eventName: options.eventName ?? 'ObjectCreated:Put', s3: { bucket: { name: options.bucket ?? 'stockflow-monitored' }, object } }] };
}

describe('the event parser', () => {
  it('reads the markers of an S3 notification: the sequencer names an unversioned upload, other keys are ignored', () => {
    const parsed = parseDelivery(fixture('s3-event-put.json'), settings);
    assert.deepEqual(parsed.markers, [{ marker: { bucket: 's3://stockflow-monitored/', key: 'daily/2026-11-25/.SUCCESS', version: '0055AED6DCD90281E5' }, messageId: null }]);
    assert.deepEqual(
      parsed.ignored.map((item) => [item.reason, item.detail]),
      [['not-a-marker', 'daily/2026-11-25/data+file.csv']],
    );
    assert.deepEqual(parsed.rejected, []);
  });

  it('names a versioned upload by its versionId and ignores deletes', () => {
    const parsed = parseDelivery(fixture('s3-event-versioned.json'), settings);
    assert.deepEqual(
      parsed.markers.map((item) => item.marker.version),
      ['3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY'],
    );
    assert.deepEqual(
      parsed.ignored.map((item) => item.reason),
      ['not-object-created'],
    );
  });

  it('falls back to the sequencer when versionId is null or "null" (unversioned or suspended bucket)', () => {
    for (const versionId of [null, 'null']) {
      const parsed = parseDelivery(s3Event({ key: 'a/.SUCCESS', versionId, sequencer: '00AB' }), settings);
      assert.equal(parsed.markers[0]?.marker.version, '00AB');
    }
  });

  it('refuses a .SUCCESS event with neither versionId nor sequencer, naming the field; the ETag is never used', () => {
    const parsed = parseDelivery(s3Event({ key: 'a/.SUCCESS', eTag: 'd41d8cd98f00b204e9800998ecf8427e' }), settings);
    assert.deepEqual(parsed.markers, []);
    assert.match(parsed.rejected[0]!.reason, /Records\.0: s3\.object\.versionId: the event for a\/\.SUCCESS has neither a versionId nor a sequencer/);
  });

  it('ignores the S3 test event', () => {
    const parsed = parseDelivery(fixture('s3-test-event.json'), settings);
    assert.deepEqual([parsed.markers, parsed.rejected, parsed.ignored.map((item) => item.reason)], [[], [], ['test-event']]);
  });

  it('decodes keys as S3 encodes them (+ is a space) and refuses a marker key with bad %-encoding as bad input', () => {
    assert.equal(decodeS3Key('a+b%2Bc/%C3%A9t%C3%A9/.SUCCESS'), 'a b+c/été/.SUCCESS');
    const bad = parseDelivery(s3Event({ key: 'daily/50%/.SUCCESS', sequencer: '01' }), settings);
    assert.deepEqual(bad.markers, []);
    assert.match(bad.rejected[0]!.reason, /bad %-encoding in the key "daily\/50%\/\.SUCCESS"/);
    // Not a marker: ignored even though its encoding is broken.
    const other = parseDelivery(s3Event({ key: 'daily/50%.csv', sequencer: '02' }), settings);
    assert.deepEqual([other.rejected, other.ignored.map((item) => item.reason)], [[], ['not-a-marker']]);
  });

  it('counts only the monitored bucket, and only under its prefix (keys relative to it, as the watcher lists them)', () => {
    const otherBucket = parseDelivery(s3Event({ key: 'a/.SUCCESS', sequencer: '01' }, { bucket: 'someone-else' }), settings);
    assert.deepEqual([otherBucket.markers, otherBucket.ignored.map((item) => [item.reason, item.detail])], [[], [['other-bucket', 'someone-else']]]);
    const prefixed: ParseSettings = { ...settings, bucket: parseBucketLocation('s3://stockflow-monitored/daily') };
    const inside = parseDelivery(fixture('s3-event-put.json'), prefixed);
    assert.deepEqual(inside.markers[0]?.marker, { bucket: 's3://stockflow-monitored/daily/', key: '2026-11-25/.SUCCESS', version: '0055AED6DCD90281E5' });
    const outside = parseDelivery(s3Event({ key: 'weekly/.SUCCESS', sequencer: '01' }), prefixed);
    assert.deepEqual(
      outside.ignored.map((item) => item.reason),
      ['outside-prefix'],
    );
  });

  it('unwraps an SNS notification and returns the envelope for verification', () => {
    const parsed = parseDelivery(fixture('sns-wrapped-s3-event.json'), settings);
    assert.deepEqual(
      parsed.markers.map((item) => item.marker.key),
      ['batch 2026/11/25/.SUCCESS'],
    );
    assert.equal(parsed.envelopes.length, 1);
    assert.equal(parsed.envelopes[0]!.Subject, 'Amazon S3 Notification');
  });

  it('reads an EventBridge Object Created event (key as is, version-id first)', () => {
    const parsed = parseDelivery(fixture('eventbridge-object-created.json'), settings);
    assert.deepEqual(
      parsed.markers.map((item) => item.marker),
      [{ bucket: 's3://stockflow-monitored/', key: 'daily/2026-11-27/.SUCCESS', version: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e' }],
    );
    const deleted = parseDelivery({ ...fixture('eventbridge-object-created.json'), 'detail-type': 'Object Deleted' }, settings);
    const foreign = parseDelivery({ ...fixture('eventbridge-object-created.json'), source: 'aws.ec2' }, settings);
    assert.deepEqual([deleted.ignored[0]?.reason, foreign.ignored[0]?.reason], ['not-object-created', 'not-from-s3']);
  });

  it('reads every body of a Lambda SQS event and tags markers with their message id', () => {
    const parsed = parseDelivery(fixture('sqs-lambda-event.json'), settings);
    assert.deepEqual(
      parsed.markers.map((item) => [item.messageId, item.marker.key]),
      [
        ['059f36b4-87a3-44ab-83d2-661975830a7d', 'daily/2026-11-28/.SUCCESS'],
        ['2e1424d4-f796-459a-8184-9c92662be6da', 'daily/2026-11-29/.SUCCESS'],
        ['8a1f32c0-5b7e-4d2a-9b0e-3c4d5e6f7a8b', 'daily/2026-11-30/.SUCCESS'],
      ],
    );
    assert.deepEqual(
      parsed.ignored.map((item) => [item.reason, item.messageId]),
      [['test-event', 'c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f']],
    );
    assert.equal(parsed.sqsMessageIds.length, 4);
    assert.equal(parsed.envelopes.length, 1);
  });

  it('keeps the good messages of an SQS batch when one is bad', () => {
    const event = {
      Records: [
        { eventSource: 'aws:sqs', messageId: 'bad', body: 'not json' },
        { eventSource: 'aws:sqs', messageId: 'good', body: JSON.stringify(s3Event({ key: 'x/.SUCCESS', sequencer: '01' })) },
      ],
    };
    const parsed = parseDelivery(event, settings);
    assert.deepEqual(parsed.rejected, [{ reason: 'SQS message bad: body is not JSON', messageId: 'bad' }]);
    assert.deepEqual(
      parsed.markers.map((item) => item.messageId),
      ['good'],
    );
  });

  it('reads a single SQS message as ReceiveMessage returns it', () => {
    const parsed = parseDelivery({ MessageId: 'm1', ReceiptHandle: 'r', Body: JSON.stringify(fixture('eventbridge-object-created.json')) }, settings);
    assert.deepEqual(
      parsed.markers.map((item) => item.messageId),
      ['m1'],
    );
  });

  it("reads Lambda's SNS event, normalising its field names (SigningCertUrl, Subject null)", () => {
    const parsed = parseDelivery(fixture('lambda-sns-event.json'), settings);
    assert.deepEqual(
      parsed.markers.map((item) => item.marker.key),
      ['daily/2026-12-01/.SUCCESS'],
    );
    const envelope = parsed.envelopes[0]!;
    assert.equal(envelope.SigningCertURL, 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem');
    assert.equal('Subject' in envelope, false);
  });

  it('does not read SNS messages of another topic when a topic is configured', () => {
    const parsed = parseDelivery(fixture('sns-wrapped-s3-event.json'), { ...settings, snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:other' });
    assert.deepEqual(parsed.markers, []);
    assert.deepEqual(parsed.foreignTopics, [{ topicArn: TOPIC, messageId: null }]);
    assert.equal(parseDelivery(fixture('sns-wrapped-s3-event.json'), { ...settings, snsTopicArn: TOPIC }).markers.length, 1);
  });

  it('reports subscription and unsubscribe confirmations', () => {
    for (const name of ['sns-subscription-confirmation.json', 'sns-unsubscribe-confirmation.json']) {
      const parsed = parseDelivery(fixture(name), { ...settings, snsTopicArn: TOPIC });
      assert.equal(parsed.confirmations.length, 1, name);
      assert.match(parsed.confirmations[0]!.envelope.SubscribeURL!, /^https:\/\/sns\.us-east-1\.amazonaws\.com\/\?Action=ConfirmSubscription/);
    }
  });

  it('refuses what is not an event, naming the problem', () => {
    const reasons = (input: unknown): string[] => parseDelivery(input, settings).rejected.map((item) => item.reason);
    assert.deepEqual(reasons('nope'), ['expected a JSON object']);
    assert.match(reasons({ Records: [{}] })[0]!, /^Records\.0: not a supported event/);
    assert.match(reasons({ Records: [{ eventName: 'ObjectCreated:Put' }] })[0]!, /^Records\.0: s3: /);
    assert.match(reasons({ ...fixture('sns-wrapped-s3-event.json'), Message: '{' })[0]!, /Message is not JSON/);
    assert.match(reasons({ ...fixture('sns-wrapped-s3-event.json'), Type: 'Other' })[0]!, /unknown Type Other/);
    // Deeper than AWS ever nests: refused, not followed (a crafted body must not exhaust the stack).
    let nested: unknown = fixture('s3-event-put.json');
    for (let level = 0; level < 10_000; level += 1) nested = { Records: [nested] };
    assert.match(reasons(nested)[0]!, /nested deeper than/);
  });

  it('gives the same upload the same run id, and a re-upload (new versionId) a new one', () => {
    const first = parseDelivery(fixture('s3-event-versioned.json'), settings).markers[0]!.marker;
    const again = parseDelivery(fixture('s3-event-versioned.json'), settings).markers[0]!.marker;
    const reupload = parseDelivery(s3Event({ key: 'daily/2026-11-26/.SUCCESS', versionId: 'another-version', sequencer: '0055AED6DCD90281F9' }), settings).markers[0]!.marker;
    assert.equal(markerRunId(first), markerRunId(again));
    assert.notEqual(markerRunId(first), markerRunId(reupload));
  });
});
