import type { Logger } from '../ports/logger';
import type { ParsedDelivery } from './event-parser';
import { type MarkerDecisionEntry, type Queryable, recordMarkerDecisions } from './marker-log';

/** What the events endpoint logs for a delivery it did not turn into runs (marker-log.ts). */

const MAX_PROBLEM_ROWS = 10;

/**
 * A refused delivery: one row per marker it carried (so an operator finds their key), else one row
 * for the delivery itself. Markers of a refused delivery are never started (all or nothing).
 */
export function refusedEntries(parsed: ParsedDelivery | null, bucket: string | null, reason: string, detail: string): MarkerDecisionEntry[] {
  const markers = parsed?.markers ?? [];
  if (markers.length === 0) return [{ source: 'events', bucket, key: null, version: null, decision: 'refused', reason, detail }];
  return markers.map(({ marker }) => ({ source: 'events', ...marker, decision: 'refused', reason, detail: `not started, the delivery was refused: ${detail}` }));
}

/** A malformed delivery: each problem (up to 10) and each marker it carried. */
export function malformedEntries(parsed: ParsedDelivery, bucket: string | null): MarkerDecisionEntry[] {
  const problems = parsed.rejected
    .slice(0, MAX_PROBLEM_ROWS)
    .map(({ reason }): MarkerDecisionEntry => ({ source: 'events', bucket, key: null, version: null, decision: 'refused', reason: 'malformed', detail: reason }));
  const markers = parsed.markers.length > 0 ? refusedEntries(parsed, bucket, 'malformed', parsed.rejected[0]!.reason) : [];
  return [...problems, ...markers];
}

export function ignoredEntries(parsed: ParsedDelivery, monitored: string): MarkerDecisionEntry[] {
  return parsed.ignored.map((item) => ({
    source: 'events',
    bucket: item.bucket === undefined ? null : `s3://${item.bucket}/`,
    key: item.key ?? null,
    version: null,
    decision: 'ignored',
    reason: item.reason,
    detail: item.reason === 'other-bucket' ? `event for the bucket ${item.bucket}, not the monitored ${monitored}` : item.detail,
  }));
}

/** A delivery refused before its body was read (wrong secret, too large): nothing of it is known. */
export function unreadEntries(status: number, error: string): MarkerDecisionEntry[] {
  const reason = status === 401 ? 'bad-secret' : status === 413 ? 'too-large' : 'unread';
  return [{ source: 'events', bucket: null, key: null, version: null, decision: 'refused', reason, detail: error }];
}

/** Refusals anyone can cause are written at most this often per process; the others are counted into the next write. */
const UNREAD_WRITE_MS = 5_000;
const unreadWrites = new Map<string, { at: number; skipped: number }>();

/**
 * Logs a refusal anyone can cause (no secret needed: a wrong secret, endpoint not configured). A
 * flood of them costs at most one database write per kind every 5 s; the row's repeats still count
 * them (those of a flood's last seconds once the next one comes).
 */
export async function recordThrottled(db: Queryable, entry: MarkerDecisionEntry, log: Logger, now = Date.now()): Promise<void> {
  const throttle = `${entry.reason}\n${entry.detail}`;
  const last = unreadWrites.get(throttle);
  if (last && now - last.at < UNREAD_WRITE_MS) {
    last.skipped += 1;
    return;
  }
  unreadWrites.set(throttle, { at: now, skipped: 0 });
  await recordQuietly(db, [{ ...entry, count: 1 + (last?.skipped ?? 0) }], log);
}

/** A delivery refused before its body was read: throttled, see recordThrottled. */
export function recordUnread(db: Queryable, status: number, error: string, log: Logger): Promise<void> {
  return recordThrottled(db, unreadEntries(status, error)[0]!, log);
}

/** Logging a refusal must not change the answer: a failure here is only reported. */
export async function recordQuietly(db: Queryable, entries: MarkerDecisionEntry[], log: Logger): Promise<void> {
  try {
    await recordMarkerDecisions(db, entries);
  } catch (error) {
    log.log('error', `marker log: ${error instanceof Error ? error.message : String(error)}`);
  }
}
