import { verify, X509Certificate } from 'node:crypto';
import { get } from 'node:https';

import type { SnsEnvelope } from './event-shapes';

/**
 * SNS message signatures (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
 * SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA, over "Name\nValue\n" pairs in byte order.
 * The certificate comes only over https from an SNS host, so a forged message cannot bring its own.
 */

/** The envelope cannot be trusted: answer 403 and start nothing. */
export class SnsVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnsVerificationError';
  }
}

/** The signing certificate could not be fetched right now (network, 5xx): worth a redelivery. */
export class SnsCertificateUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnsCertificateUnavailableError';
  }
}

export type HttpsGet = (url: URL) => Promise<{ status: number; body: string }>;

export interface SnsVerifierOptions {
  /** May this host (URL.host: port included) serve certificates and SubscribeURLs? Default: AWS SNS. */
  isTrustedHost?: (host: string) => boolean;
  httpsGet?: HttpsGet;
  /** Certificates kept, by URL; SNS signs with few, so the bound only stops a flood of URLs. */
  cacheSize?: number;
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** sns.<region>.amazonaws.com or (China) sns.<region>.amazonaws.com.cn, on the default port. */
export function isAwsSnsHost(host: string): boolean {
  return SNS_HOST.test(host);
}

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** The string SNS signs for this message type (Subject only when the message has one). */
export function snsStringToSign(envelope: SnsEnvelope): string {
  const fields = envelope.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let text = '';
  for (const field of fields) {
    const value = envelope[field];
    if (value === undefined) {
      if (field === 'Subject') continue;
      throw new SnsVerificationError(`SNS ${envelope.Type} ${envelope.MessageId} has no ${field}`);
    }
    text += `${field}\n${value}\n`;
  }
  return text;
}

/** A GET over https with a time and size limit, no redirects. `ca` replaces the system CAs (tests). */
export function httpsGetter(options: { ca?: string | Buffer; timeoutMs?: number; maxBytes?: number } = {}): HttpsGet {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  return (url) =>
    new Promise((resolve, reject) => {
      const request = get(url, { ca: options.ca, timeout: options.timeoutMs ?? 10_000 }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) request.destroy(new Error(`${url.host} answered more than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`${url.host} did not answer in time`)));
      request.on('error', reject);
    });
}

export class SnsVerifier {
  private readonly isTrustedHost: (host: string) => boolean;
  private readonly httpsGet: HttpsGet;
  private readonly cacheSize: number;
  /** URL -> certificate, oldest use first (a Map keeps insertion order). */
  private readonly certificates = new Map<string, Promise<X509Certificate>>();

  constructor(options: SnsVerifierOptions = {}) {
    this.isTrustedHost = options.isTrustedHost ?? isAwsSnsHost;
    this.httpsGet = options.httpsGet ?? httpsGetter();
    this.cacheSize = Math.max(1, options.cacheSize ?? 16);
  }

  /** Throws SnsVerificationError unless SNS signed exactly this message. */
  async verify(envelope: SnsEnvelope): Promise<void> {
    const algorithm = envelope.SignatureVersion === '1' ? 'sha1' : envelope.SignatureVersion === '2' ? 'sha256' : null;
    if (!algorithm) throw new SnsVerificationError(`SNS message ${envelope.MessageId}: SignatureVersion ${envelope.SignatureVersion ?? '(none)'} is not 1 or 2`);
    if (!envelope.Signature) throw new SnsVerificationError(`SNS message ${envelope.MessageId} has no Signature`);
    const certificate = await this.certificate(this.trustedUrl(envelope.SigningCertURL, 'SigningCertURL'));
    const now = Date.now();
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
      throw new SnsVerificationError(`the signing certificate ${envelope.SigningCertURL} is not valid now (${certificate.validFrom} - ${certificate.validTo})`);
    }
    const signed = Buffer.from(snsStringToSign(envelope), 'utf8');
    let valid = false;
    try {
      valid = verify(algorithm, signed, certificate.publicKey, Buffer.from(envelope.Signature, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) throw new SnsVerificationError(`the signature of SNS message ${envelope.MessageId} does not match its content`);
  }

  /** Confirms a (verified) subscription by GETting its SubscribeURL, under the same host rule. */
  async confirmSubscription(envelope: SnsEnvelope): Promise<void> {
    const url = this.trustedUrl(envelope.SubscribeURL, 'SubscribeURL');
    const response = await this.httpsGet(url);
    if (response.status !== 200) throw new Error(`confirming the subscription to ${envelope.TopicArn}: ${url.host} answered HTTP ${response.status}`);
  }

  private trustedUrl(raw: string | undefined, field: string): URL {
    if (!raw) throw new SnsVerificationError(`no ${field}`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SnsVerificationError(`${field} is not a URL`);
    }
    if (url.protocol !== 'https:') throw new SnsVerificationError(`${field} must be https: ${raw}`);
    if (url.username || url.password || !this.isTrustedHost(url.host)) throw new SnsVerificationError(`${field} is not on an SNS host: ${url.host}`);
    return url;
  }

  private certificate(url: URL): Promise<X509Certificate> {
    const key = url.href;
    const cached = this.certificates.get(key);
    if (cached) {
      this.certificates.delete(key);
      this.certificates.set(key, cached);
      return cached;
    }
    const loading = this.fetchCertificate(url);
    this.certificates.set(key, loading);
    for (const oldest of this.certificates.keys()) {
      if (this.certificates.size <= this.cacheSize) break;
      this.certificates.delete(oldest);
    }
    // A failure is not kept: the next message asks again.
    loading.catch(() => {
      if (this.certificates.get(key) === loading) this.certificates.delete(key);
    });
    return loading;
  }

  private async fetchCertificate(url: URL): Promise<X509Certificate> {
    let response: { status: number; body: string };
    try {
      response = await this.httpsGet(url);
    } catch (error) {
      throw new SnsCertificateUnavailableError(`could not fetch the signing certificate ${url.href}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (response.status >= 500) throw new SnsCertificateUnavailableError(`the signing certificate ${url.href}: HTTP ${response.status}`);
    if (response.status !== 200) throw new SnsVerificationError(`the signing certificate ${url.href}: HTTP ${response.status}`);
    try {
      return new X509Certificate(response.body);
    } catch {
      throw new SnsVerificationError(`${url.href} is not a certificate`);
    }
  }
}
