import type pg from 'pg';

/**
 * The log of what became of each marker (and each event delivery) seen: stockflow.marker_decisions
 * (sql/migrations/012). Writers pass the pool, or the client of the transaction that takes the
 * decision, so a decision and its log row commit together.
 */

export const MARKER_SOURCES = ['watcher', 'events', 'airflow'] as const;
export type MarkerSource = (typeof MARKER_SOURCES)[number];

export const MARKER_DECISIONS = ['started', 'duplicate', 'ignored', 'refused', 'history', 'failed'] as const;
export type MarkerDecision = (typeof MARKER_DECISIONS)[number];

export interface MarkerDecisionEntry {
  source: MarkerSource;
  bucket: string | null;
  key: string | null;
  version: string | null;
  decision: MarkerDecision;
  /** The finer kind: other-bucket, not-a-marker, bad-secret, bad-signature, malformed, first-scan, ... */
  reason?: string;
  runId?: string | null;
  detail?: string;
  /** How many times it happened (a throttled caller counts some up before writing). */
  count?: number;
}

export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Bounded growth: the newest KEEP_ROWS rows, none older than KEEP_DAYS. */
export const KEEP_ROWS = 10_000;
export const KEEP_DAYS = 30;
/** Pruning runs when an insert crosses a multiple of this many ids: cheap, and at most this many rows over. */
const PRUNE_EVERY = 100;
/** A refusal or failure equal to one this recent counts up there instead of adding a row. */
const COLLAPSE_MINUTES = 10;

const COLUMNS = ['source', 'bucket', 'key', 'version', 'decision', 'reason', 'run_id', 'detail'] as const;

function valuesOf(entry: MarkerDecisionEntry): Array<string | null> {
  return [entry.source, entry.bucket, entry.key, entry.version, entry.decision, entry.reason ?? '', entry.runId ?? null, (entry.detail ?? '').slice(0, 2000)];
}

/**
 * Records decisions. Refusals and failures collapse into an equal row of the last few minutes
 * (a sender retrying a wrong secret, a trigger failing on every poll), so floods stay one row each.
 */
export async function recordMarkerDecisions(db: Queryable, entries: MarkerDecisionEntry[]): Promise<void> {
  const collapsible = entries.filter((entry) => entry.decision === 'refused' || entry.decision === 'failed');
  const plain = entries.filter((entry) => !collapsible.includes(entry));
  const ids: number[] = [];
  if (plain.length > 0) {
    const columns = COLUMNS.map((_, index) => plain.map((entry) => valuesOf(entry)[index]!));
    const inserted = await db.query<{ id: string }>(
      `INSERT INTO stockflow.marker_decisions (${COLUMNS.join(', ')})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) RETURNING id`,
      columns,
    );
    ids.push(...inserted.rows.map((row) => Number(row.id)));
  }
  for (const entry of collapsible) {
    const inserted = await db.query<{ id: string }>(
      `WITH bumped AS (
         UPDATE stockflow.marker_decisions SET repeats = repeats + $9, last_seen_at = now()
          WHERE id = (SELECT id FROM stockflow.marker_decisions
                       WHERE decision = $5 AND source = $1 AND bucket IS NOT DISTINCT FROM $2 AND key IS NOT DISTINCT FROM $3
                         AND version IS NOT DISTINCT FROM $4 AND reason = $6 AND run_id IS NOT DISTINCT FROM $7 AND detail = $8
                         AND last_seen_at > now() - make_interval(mins => ${COLLAPSE_MINUTES})
                       ORDER BY id DESC LIMIT 1)
         RETURNING id)
       INSERT INTO stockflow.marker_decisions (${COLUMNS.join(', ')}, repeats)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE NOT EXISTS (SELECT 1 FROM bumped) RETURNING id`,
      [...valuesOf(entry), Math.max(1, Math.trunc(entry.count ?? 1))],
    );
    ids.push(...inserted.rows.map((row) => Number(row.id)));
  }
  await pruneAfter(db, ids);
}

/** Prunes when the new ids crossed a multiple of PRUNE_EVERY. */
export async function pruneAfter(db: Queryable, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const low = Math.min(...ids);
  const high = Math.max(...ids);
  if (Math.floor((low - 1) / PRUNE_EVERY) === Math.floor(high / PRUNE_EVERY)) return;
  await pruneMarkerDecisions(db);
}

export async function pruneMarkerDecisions(db: Queryable, keep: { rows: number; days: number } = { rows: KEEP_ROWS, days: KEEP_DAYS }): Promise<number> {
  const pruned = await db.query(
    `DELETE FROM stockflow.marker_decisions
      WHERE id <= coalesce((SELECT id FROM stockflow.marker_decisions ORDER BY id DESC OFFSET $1 LIMIT 1), 0)
         OR last_seen_at < now() - make_interval(days => $2)`,
    [keep.rows, keep.days],
  );
  return pruned.rowCount ?? 0;
}
