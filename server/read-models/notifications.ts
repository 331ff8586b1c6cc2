import type pg from 'pg';
import { z } from 'zod';
import type { Identity } from '../pipeline/context';
import type { Services } from '../services';
import { IDENTITY_KEY } from '../settings/settings-repository';

const part = z.string().trim().min(1, 'required').max(30).regex(/^[A-Za-z0-9-]+$/, 'ASCII letters, digits and "-" only');
export const identitySchema = z.object({ cohort: part, firstName: part, surname: part });

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

export interface NotificationsView {
  identity: Identity;
  identityFromPanel: boolean;
  history: OutboxEntry[];
}

export async function loadNotifications(services: Services): Promise<NotificationsView> {
  const saved = await services.settings.get<Identity>(IDENTITY_KEY);
  return { identity: saved ?? services.config.identity, identityFromPanel: saved !== null, history: await outboxHistory(services.pool) };
}

export async function outboxHistory(pool: pg.Pool, limit = 50): Promise<OutboxEntry[]> {
  const rows = await pool.query<{ id: string; run_id: string | null; outcome: string; channel: string; subject: string; status: string; attempts: number; last_error: string | null; created_at: Date; sent_at: Date | null }>(
    'SELECT * FROM stockflow.outbox ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return rows.rows.map((row) => ({
    id: row.id, runId: row.run_id, outcome: row.outcome, channel: row.channel, subject: row.subject, status: row.status,
    attempts: row.attempts, lastError: row.last_error, createdAt: row.created_at.toISOString(), sentAt: row.sent_at?.toISOString() ?? null,
  }));
}
