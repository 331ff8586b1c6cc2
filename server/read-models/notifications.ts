import type pg from 'pg';
import { z } from 'zod';

import { hasRole, type Role } from '../auth/roles';
import type { Identity } from '../pipeline/context';
import type { Services } from '../services';
import { IDENTITY_KEY } from '../settings/settings-repository';
import { formatUtc } from '../util/display-time';
import { publicErrorMessage } from '../util/public-error';
import { IDENTITY_FIELDS, type IdentityField, type IdentityFieldErrors } from './identity-fields';

const LONGEST_SUBJECT_PARTS = 80; // `<parts>_Pipeline_Failure` (19 more characters) must stay under 100.

function identityPart(label: string) {
  return z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, `${label} is required.`)
    .max(30, `${label} must be at most 30 characters.`)
    .regex(/^[A-Za-z0-9-]+$/, `${label} must be ASCII letters, digits or "-" only (it goes into an e-mail subject).`);
}

const label = (name: IdentityField): string => IDENTITY_FIELDS.find((field) => field.name === name)!.label;

export const identitySchema = z
  .object({ cohort: identityPart(label('cohort')), firstName: identityPart(label('firstName')), surname: identityPart(label('surname')) })
  .refine((identity) => identity.cohort.length + identity.firstName.length + identity.surname.length <= LONGEST_SUBJECT_PARTS, {
    message: `${IDENTITY_FIELDS.slice(0, -1)
      .map((field) => field.label)
      .join(', ')} and ${IDENTITY_FIELDS.at(-1)!.label} together may have at most ${LONGEST_SUBJECT_PARTS} characters (the mail subject must stay under 100).`,
  });

export type IdentityParse = { ok: true; identity: Identity } | { ok: false; fieldErrors: IdentityFieldErrors; formError: string | null };

/** The identity form's input, with each refusal attached to its field in the words the form uses. */
export function parseIdentity(input: Record<IdentityField, unknown>): IdentityParse {
  const parsed = identitySchema.safeParse(input);
  if (parsed.success) return { ok: true, identity: parsed.data };
  const fieldErrors: IdentityFieldErrors = {};
  let formError: string | null = null;
  for (const issue of parsed.error.issues) {
    const field = IDENTITY_FIELDS.find((candidate) => candidate.name === issue.path[0]);
    if (field) fieldErrors[field.name] ??= issue.message;
    else formError ??= issue.message;
  }
  return { ok: false, fieldErrors, formError };
}

export interface OutboxEntry {
  id: string;
  runId: string | null;
  outcome: string;
  channel: string;
  subject: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface OutboxHistoryRow extends OutboxEntry {
  /** createdAt as shown, with its zone. */
  createdAtText: string;
  badge: 'success' | 'failed' | 'queued';
  canResend: boolean;
}

export interface SubscriptionView {
  arn: string | null;
  protocol: string;
  endpoint: string;
  pending: boolean;
}

export interface SnsView {
  topicArn: string | null;
  subscriptions: SubscriptionView[];
  /** Why the subscriptions could not be listed, in words for the user. */
  error: string | null;
}

export interface NotificationsView {
  identity: Identity;
  identityFromPanel: boolean;
  canEdit: boolean;
  channel: { name: 'outbox' | 'smtp' | 'sns'; explanation: string };
  /** Only for admins on the SNS channel. */
  sns: SnsView | null;
  history: OutboxHistoryRow[];
}

function channelExplanation(mail: Services['config']['mail']): string {
  if (mail.channel === 'outbox') return '(kept in the outbox below; set SMTP_URL or STOCKFLOW_NOTIFIER=sns to send mail)';
  if (mail.channel === 'smtp') return `(SMTP to ${mail.to.join(', ')})`;
  return '(SNS topic with e-mail subscriptions)';
}

async function snsView(services: Services): Promise<SnsView | null> {
  if (!services.sns) return null;
  const topicArn = await services.sns.currentTopic();
  if (!topicArn) return { topicArn: null, subscriptions: [], error: null };
  try {
    return { topicArn, subscriptions: await services.sns.listSubscriptions(), error: null };
  } catch (error) {
    return { topicArn, subscriptions: [], error: publicErrorMessage(error, 'Could not list the subscriptions.') };
  }
}

/** Everything the notifications screen shows, for a user of this role. */
export async function loadNotifications(services: Services, role: Role): Promise<NotificationsView> {
  const isAdmin = hasRole(role, 'admin');
  const canResend = hasRole(role, 'operator');
  const [stored, history, sns] = await Promise.all([services.settings.get<unknown>(IDENTITY_KEY), outboxHistory(services.pool), isAdmin ? snsView(services) : null]);
  // Settings are JSON: read the saved identity through the same schema that wrote it.
  const parsed = identitySchema.safeParse(stored);
  const saved = parsed.success ? parsed.data : null;
  return {
    identity: saved ?? services.config.identity,
    identityFromPanel: saved !== null,
    canEdit: isAdmin,
    channel: { name: services.config.mail.channel, explanation: channelExplanation(services.config.mail) },
    sns,
    history: history.map((entry) => ({
      ...entry,
      createdAtText: formatUtc(entry.createdAt),
      badge: entry.status === 'sent' ? 'success' : entry.status === 'failed' ? 'failed' : 'queued',
      canResend: canResend && entry.status === 'failed',
    })),
  };
}

export async function outboxHistory(pool: pg.Pool, limit = 50): Promise<OutboxEntry[]> {
  const rows = await pool.query<{
    id: string;
    run_id: string | null;
    outcome: string;
    channel: string;
    subject: string;
    status: string;
    attempts: number;
    last_error: string | null;
    created_at: Date;
    sent_at: Date | null;
  }>('SELECT * FROM stockflow.outbox ORDER BY id DESC LIMIT $1', [limit]);
  return rows.rows.map((row) => ({
    id: row.id,
    runId: row.run_id,
    outcome: row.outcome,
    channel: row.channel,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
  }));
}
