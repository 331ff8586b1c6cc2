import type pg from 'pg';

import { withClient } from '../db/checked-out';
import type { Logger } from '../ports/logger';
import type { ObjectStore, ObjectVersion } from '../ports/object-store';
import type { Orchestrator } from '../ports/orchestrator';
import { PollingLoop } from '../util/polling-loop';
import { type MarkerSource, pruneAfter, recordMarkerDecisions } from './marker-log';
import { isMarkerKey, type Marker, markerRunId } from './marker-run-id';

// pg_advisory_xact_lock(class, hashtext(bucket)): the two-int key space, apart from the other locks.
const SCAN_LOCK_CLASS = 7_007;

/**
 * Fires a marker: triggers its run (idempotent by run id), then records it and the decision in one
 * statement. In that order a crash in between re-triggers on the next scan, which the orchestrator
 * turns into a no-op, and the log never says "started" for a run that does not exist.
 */
export async function fireMarker(pool: pg.Pool, orchestrator: Orchestrator, marker: Marker, log: Logger, source: MarkerSource): Promise<{ runId: string; created: boolean }> {
  const runId = markerRunId(marker);
  let result: { runId: string; created: boolean };
  try {
    result = await orchestrator.trigger({
      runId,
      trigger: { kind: 'event', by: `${marker.bucket.replace(/\/+$/, '')}/${marker.key}` },
      conf: { marker },
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    // Logged, not allowed to hide the trigger's own error.
    await recordMarkerDecisions(pool, [{ source, ...marker, decision: 'failed', reason: 'trigger-failed', runId, detail }]).catch((logError: unknown) =>
      log.log('error', `marker log: ${logError instanceof Error ? logError.message : String(logError)}`),
    );
    throw error;
  }
  const recorded = await pool.query<{ id: string }>(
    `WITH fired AS (
       INSERT INTO stockflow.markers (bucket, key, version, run_id, fired) VALUES ($1, $2, $3, $4, true)
       ON CONFLICT (bucket, key, version) DO NOTHING RETURNING 1)
     INSERT INTO stockflow.marker_decisions (source, bucket, key, version, decision, reason, run_id, detail)
     SELECT $5, $1, $2, $3, CASE WHEN $6::boolean THEN 'started' ELSE 'duplicate' END,
            CASE WHEN $6::boolean THEN '' WHEN EXISTS (SELECT 1 FROM fired) THEN 'run-existed' ELSE 'redelivery' END, $4,
            CASE WHEN $6::boolean THEN ''
                 WHEN EXISTS (SELECT 1 FROM fired) THEN 'the run already existed: triggered before a restart, or by another trigger path'
                 ELSE 'this upload (same version) was seen before' END
     RETURNING id`,
    [marker.bucket, marker.key, marker.version, result.runId, source, result.created],
  );
  await pruneAfter(
    pool,
    recorded.rows.map((row) => Number(row.id)),
  );
  log.log('info', result.created ? `marker ${marker.key} (${marker.version}): run ${runId} triggered` : `marker ${marker.key}: run ${runId} was already triggered`);
  return result;
}

/**
 * Polls the monitored bucket and starts exactly one run per upload of a .SUCCESS object (per version,
 * see ObjectStore.listVersions). The first scan of a bucket takes what is there as history.
 */
export class MarkerWatcher {
  private readonly loop: PollingLoop;
  /**
   * Unsettled versions (a folder) the last scan saw and did not fire: key -> version. They fire when
   * the next scan sees them unchanged. In memory only: after a restart a marker just waits one poll more.
   */
  private waiting = new Map<string, string>();

  constructor(private readonly options: { pool: pg.Pool; store: ObjectStore; orchestrator: Orchestrator; intervalMs: number; log: Logger }) {
    this.loop = new PollingLoop(
      () => this.scanOnce(),
      options.intervalMs,
      (error) => options.log.log('error', `watcher: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** One pass over the bucket; returns the run ids it started. */
  async scanOnce(): Promise<string[]> {
    const { pool, store } = this.options;
    const listed: ObjectVersion[] = [];
    for await (const object of store.listVersions('')) if (isMarkerKey(object.key)) listed.push(object);
    // withClient: the scan's transaction idles while markers are triggered (an HTTP call to
    // Airflow); a database restart then must fail this scan, not end the process.
    return withClient(pool, async (client) => {
      await client.query('BEGIN');
      try {
        // One scan per bucket at a time, across processes. Without it a second watcher starting with
        // the first could see the bucket as watched before its history rows exist, and fire old markers.
        // (Not claim-first, INSERT ... RETURNING then trigger: a crash between the two would lose the
        // marker. fireMarker triggers first, idempotent by run id, so a crash only repeats a no-op.)
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SCAN_LOCK_CLASS, store.location]);
        const started = await this.scanLocked(client, listed);
        await client.query('COMMIT');
        return started;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  private async scanLocked(client: pg.PoolClient, listed: ObjectVersion[]): Promise<string[]> {
    const { pool, store, orchestrator, log } = this.options;
    const bucket = store.location;
    const first = await client.query('INSERT INTO stockflow.watched_buckets (bucket) VALUES ($1) ON CONFLICT DO NOTHING', [bucket]);
    if ((first.rowCount ?? 0) > 0) {
      await this.recordHistory(client, listed, 'first-scan');
      if (listed.length > 0) log.log('info', `first scan of ${bucket}: ${listed.length} marker(s) already there recorded, not fired`);
      this.waiting.clear();
      return [];
    }
    const known = await client.query<{ key: string; version: string }>(
      `SELECT m.key, m.version FROM stockflow.markers m
         JOIN unnest($2::text[], $3::text[]) AS listed (key, version) ON m.key = listed.key AND m.version = listed.version
        WHERE m.bucket = $1`,
      [bucket, listed.map((object) => object.key), listed.map((object) => object.version)],
    );
    const seen = new Set(known.rows.map((row) => `${row.key}\n${row.version}`));
    const fresh = listed.filter((object) => !seen.has(`${object.key}\n${object.version}`));
    const etagEra = await this.etagEraKeys(client, bucket);
    const history = fresh.filter((object) => etagEra.has(object.key));
    await this.recordHistory(client, history, 'before-versions');
    if (history.length > 0) log.log('info', `${bucket}: ${history.length} marker(s) seen before the upgrade to versions recorded, not fired`);

    const waiting = new Map<string, string>();
    const started: string[] = [];
    for (const object of fresh) {
      if (etagEra.has(object.key)) continue;
      if (!object.settled && this.waiting.get(object.key) !== object.version) {
        waiting.set(object.key, object.version);
        continue;
      }
      const result = await fireMarker(pool, orchestrator, { bucket, key: object.key, version: object.version }, log, 'watcher');
      if (result.created) started.push(result.runId);
    }
    this.waiting = waiting;
    return started;
  }

  /** Keys with pre-007 rows ('etag:' versions), on the one scan after the upgrade (sql/migrations/007). */
  private async etagEraKeys(client: pg.PoolClient, bucket: string): Promise<Set<string>> {
    const upgrade = await client.query('UPDATE stockflow.watched_buckets SET etag_era = false WHERE bucket = $1 AND etag_era', [bucket]);
    if ((upgrade.rowCount ?? 0) === 0) return new Set();
    const keys = await client.query<{ key: string }>(`SELECT DISTINCT key FROM stockflow.markers WHERE bucket = $1 AND version LIKE 'etag:%'`, [bucket]);
    return new Set(keys.rows.map((row) => row.key));
  }

  /** Takes markers as history (never fired), logging each one newly recorded, in the scan's transaction. */
  private async recordHistory(client: pg.PoolClient, objects: ObjectVersion[], reason: 'first-scan' | 'before-versions'): Promise<void> {
    if (objects.length === 0) return;
    const detail = reason === 'first-scan' ? "already there at the bucket's first scan: history, not an event" : 'seen before markers had versions (upgrade): history, not an event';
    const logged = await client.query<{ id: string }>(
      `WITH recorded AS (
         INSERT INTO stockflow.markers (bucket, key, version, fired)
         SELECT $1, key, version, false FROM unnest($2::text[], $3::text[]) AS listed (key, version)
         ON CONFLICT DO NOTHING RETURNING bucket, key, version)
       INSERT INTO stockflow.marker_decisions (source, bucket, key, version, decision, reason, detail)
       SELECT 'watcher', bucket, key, version, 'history', $4, $5 FROM recorded RETURNING id`,
      [this.options.store.location, objects.map((object) => object.key), objects.map((object) => object.version), reason, detail],
    );
    await pruneAfter(
      client,
      logged.rows.map((row) => Number(row.id)),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
