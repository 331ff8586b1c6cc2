import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { type FakeSns, startFakeSns } from '../../test/fixtures/fake-sns';
import type { SnsEnvelope } from './event-shapes';
import { httpsGetter, isAwsSnsHost, SnsCertificateUnavailableError, SnsVerificationError, SnsVerifier } from './sns-signature';

const fixture = (name: string): SnsEnvelope => JSON.parse(readFileSync(`test/fixtures/${name}`, 'utf8')) as SnsEnvelope;

describe('SNS signature verification', () => {
  let sns: FakeSns;
  let verifier: SnsVerifier;
  const refused = (error: unknown): boolean => error instanceof SnsVerificationError;

  before(async () => {
    sns = await startFakeSns();
    verifier = new SnsVerifier({ isTrustedHost: (host) => host === sns.host, httpsGet: httpsGetter({ ca: sns.ca }) });
  });
  after(() => sns?.close());

  it('trusts only sns.<region>.amazonaws.com(.cn) on the default port', () => {
    for (const host of ['sns.us-east-1.amazonaws.com', 'sns.cn-north-1.amazonaws.com.cn', 'sns.us-gov-west-1.amazonaws.com']) assert.equal(isAwsSnsHost(host), true, host);
    for (const host of ['sns.us-east-1.amazonaws.com.evil.com', 'evil.com', 'sns.amazonaws.com', 'sns.us-east-1.amazonaws.com:8443', 'xsns.us-east-1.amazonaws.com', 'sns.us-east-1.amazonaws.co']) {
      assert.equal(isAwsSnsHost(host), false, host);
    }
  });

  for (const version of ['1', '2'] as const) {
    it(`accepts a notification and a subscription confirmation signed with SignatureVersion ${version}`, async () => {
      await verifier.verify(sns.sign(fixture('sns-wrapped-s3-event.json'), version));
      await verifier.verify(sns.sign(fixture('sns-subscription-confirmation.json'), version));
      await verifier.verify(sns.sign(fixture('sns-unsubscribe-confirmation.json'), version));
      const { Subject: _subject, ...withoutSubject } = fixture('sns-wrapped-s3-event.json');
      await verifier.verify(sns.sign(withoutSubject, version));
    });
  }

  it('refuses tampered messages', async () => {
    const signed = sns.sign(fixture('sns-wrapped-s3-event.json'), '2');
    await assert.rejects(verifier.verify({ ...signed, Message: signed.Message.replace('2026', '2027') }), /does not match/);
    await assert.rejects(verifier.verify({ ...signed, Subject: 'other' }), refused);
    const { Subject: _subject, ...dropped } = signed;
    await assert.rejects(verifier.verify(dropped), refused);
    await assert.rejects(verifier.verify({ ...signed, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' }), refused);
    // A v1 (SHA1) signature presented as v2 does not verify either.
    await assert.rejects(verifier.verify({ ...sns.sign(fixture('sns-wrapped-s3-event.json'), '1'), SignatureVersion: '2' }), refused);
    const confirmation = sns.sign(fixture('sns-subscription-confirmation.json'), '1');
    await assert.rejects(verifier.verify({ ...confirmation, SubscribeURL: sns.subscribeUrl('arn:aws:sns:us-east-1:666666666666:evil') }), refused);
  });

  it('refuses unknown signature versions and missing signatures', async () => {
    const signed = sns.sign(fixture('sns-wrapped-s3-event.json'), '2');
    await assert.rejects(verifier.verify({ ...signed, SignatureVersion: '3' }), /SignatureVersion 3 is not 1 or 2/);
    const { Signature: _signature, ...unsigned } = signed;
    await assert.rejects(verifier.verify(unsigned), /no Signature/);
  });

  it('fetches certificates only over https from a trusted host', async () => {
    const signed = sns.sign(fixture('sns-wrapped-s3-event.json'), '2');
    const before = sns.requests.length;
    await assert.rejects(verifier.verify({ ...signed, SigningCertURL: signed.SigningCertURL.replace('https:', 'http:') }), /must be https/);
    await assert.rejects(verifier.verify({ ...signed, SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem' }), /not on an SNS host/);
    await assert.rejects(verifier.verify({ ...signed, SigningCertURL: `https://user@${sns.host}/cert.pem` }), /not on an SNS host/);
    await assert.rejects(verifier.verify({ ...signed, SigningCertURL: 'not a url' }), /not a URL/);
    assert.equal(sns.requests.length, before, 'nothing was fetched from a refused URL');
    // The default rule refuses the test server, which is not an AWS host.
    await assert.rejects(new SnsVerifier({ httpsGet: httpsGetter({ ca: sns.ca }) }).verify(signed), /not on an SNS host/);
    // And without the test CA the test server's certificate is not trusted at all.
    const noCa = new SnsVerifier({ isTrustedHost: (host) => host === sns.host });
    await assert.rejects(noCa.verify(signed), (error: unknown) => error instanceof SnsCertificateUnavailableError);
  });

  it('refuses a URL that serves no certificate', async () => {
    await assert.rejects(verifier.verify(sns.sign(fixture('sns-wrapped-s3-event.json'), '2', 'missing')), /HTTP 404/);
  });

  it('keeps a bounded number of certificates and fetches a known one once', async () => {
    const small = new SnsVerifier({ isTrustedHost: (host) => host === sns.host, httpsGet: httpsGetter({ ca: sns.ca }), cacheSize: 2 });
    const fetches = (name: string): number => sns.requests.filter((path) => path === `/${name}.pem`).length;
    const verifyWith = (name: string): Promise<void> => small.verify(sns.sign(fixture('sns-wrapped-s3-event.json'), '2', name));
    await verifyWith('cache-a');
    await verifyWith('cache-a');
    assert.equal(fetches('cache-a'), 1);
    await verifyWith('cache-b');
    await verifyWith('cache-c');
    await verifyWith('cache-a');
    assert.equal(fetches('cache-a'), 2, 'a was evicted by b and c');
    await verifyWith('cache-c');
    assert.equal(fetches('cache-c'), 1);
  });

  it('confirms a subscription by GETting its SubscribeURL on a trusted https host, and nowhere else', async () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:stockflow-markers';
    const confirmation = { ...fixture('sns-subscription-confirmation.json'), SubscribeURL: sns.subscribeUrl(topic) };
    await verifier.confirmSubscription(confirmation);
    assert.ok(sns.requests.includes(new URL(sns.subscribeUrl(topic)).pathname + new URL(sns.subscribeUrl(topic)).search));
    await assert.rejects(verifier.confirmSubscription({ ...confirmation, SubscribeURL: confirmation.SubscribeURL.replace('https:', 'http:') }), refused);
    await assert.rejects(verifier.confirmSubscription(fixture('sns-subscription-confirmation.json')), refused);
  });
});
