import type pg from 'pg';
import { z } from 'zod';

import { MARKER_DECISIONS, type MarkerDecision, type MarkerSource } from '../trigger/marker-log';

/** The markers-seen page: what became of each marker and event delivery, newest first, keyset-paged. */

const PAGE_SIZE = 50;
const blankIsAbsent = (value: unknown): unknown => (value === '' ? undefined : value);

export const markersQuerySchema = z.object({
  decision: z.preprocess(blankIsAbsent, z.enum(MARKER_DECISIONS, { message: `one of ${MARKER_DECISIONS.join(', ')}` }).optional()),
  bucket: z.preprocess(blankIsAbsent, z.string().trim().max(1024, 'at most 1024 characters').optional()),
  before: z.preprocess(
    blankIsAbsent,
    z
      .string()
      .regex(/^\d{1,18}$/, 'not a page cursor')
      .optional(),
  ),
});
export type MarkersQuery = z.infer<typeof markersQuerySchema>;

/** A value that does not parse is left out and reported for its field, shown beside the input. */
export function parseMarkersQuery(raw: Record<string, string | string[] | undefined>): { query: MarkersQuery; problems: Record<string, string> } {
  const single = Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]));
  const first = markersQuerySchema.safeParse(single);
  if (first.success) return { query: first.data, problems: {} };
  const problems: Record<string, string> = {};
  for (const issue of first.error.issues) problems[String(issue.path[0] ?? 'query')] ??= issue.message;
  const rest = Object.fromEntries(Object.entries(single).filter(([name]) => !(name in problems)));
  return { query: markersQuerySchema.parse(rest), problems };
}

export interface MarkerSeen {
  id: string;
  seenAt: string;
  /** When it last happened again (repeats > 1), else seenAt. */
  lastSeenAt: string;
  repeats: number;
  source: MarkerSource;
  bucket: string | null;
  key: string | null;
  version: string | null;
  decision: MarkerDecision;
  reason: string;
  runId: string | null;
  detail: string;
}

export interface MarkersSeenPage {
  query: MarkersQuery;
  problems: Record<string, string>;
  entries: MarkerSeen[];
  /** Pass as `before` for the next (older) page; null at the end. */
  nextCursor: string | null;
  /** Buckets present in the log, for the filter. */
  buckets: string[];
}

interface Row {
  id: string;
  seen_at: Date;
  last_seen_at: Date;
  repeats: number;
  source: MarkerSource;
  bucket: string | null;
  key: string | null;
  version: string | null;
  decision: MarkerDecision;
  reason: string;
  run_id: string | null;
  detail: string;
}

const toEntry = (row: Row): MarkerSeen => ({
  id: row.id,
  seenAt: row.seen_at.toISOString(),
  lastSeenAt: row.last_seen_at.toISOString(),
  repeats: row.repeats,
  source: row.source,
  bucket: row.bucket,
  key: row.key,
  version: row.version,
  decision: row.decision,
  reason: row.reason,
  runId: row.run_id,
  detail: row.detail,
});

export async function loadMarkersSeen(pool: pg.Pool, raw: Record<string, string | string[] | undefined>): Promise<MarkersSeenPage> {
  const { query, problems } = parseMarkersQuery(raw);
  const [found, buckets] = await Promise.all([
    pool.query<Row>(
      `SELECT * FROM stockflow.marker_decisions
        WHERE ($1::bigint IS NULL OR id < $1::bigint) AND ($2::text IS NULL OR decision = $2) AND ($3::text IS NULL OR bucket = $3)
        ORDER BY id DESC LIMIT $4`,
      [query.before ?? null, query.decision ?? null, query.bucket ?? null, PAGE_SIZE + 1],
    ),
    // At most 10,000 rows (marker-log.ts prunes), so a plain DISTINCT stays cheap.
    pool.query<{ bucket: string }>('SELECT DISTINCT bucket FROM stockflow.marker_decisions WHERE bucket IS NOT NULL ORDER BY bucket LIMIT 100'),
  ]);
  const rows = found.rows.slice(0, PAGE_SIZE);
  return {
    query,
    problems,
    entries: rows.map(toEntry),
    nextCursor: found.rows.length > PAGE_SIZE ? rows[rows.length - 1]!.id : null,
    buckets: buckets.rows.map((row) => row.bucket),
  };
}

/** What the marker log says about one run (the run detail page's "triggered by" panel): oldest first. */
export async function markerOfRun(pool: pg.Pool, runId: string): Promise<MarkerSeen[]> {
  const found = await pool.query<Row>('SELECT * FROM stockflow.marker_decisions WHERE run_id = $1 ORDER BY id LIMIT 20', [runId]);
  return found.rows.map(toEntry);
}
