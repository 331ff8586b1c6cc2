import type pg from 'pg';
import type { Logger } from '../ports/logger';
import type { ObjectStore } from '../ports/object-store';
import type { Orchestrator } from '../ports/orchestrator';
import { PollingLoop } from '../util/polling-loop';
import { isMarkerKey, markerRunId, type Marker } from './marker-run-id';

/**
 * Fires a marker: triggers its run (idempotent by run id), then records it. In that order a crash
 * in between re-triggers on the next scan, which the orchestrator turns into a no-op.
 */
export async function fireMarker(pool: pg.Pool, orchestrator: Orchestrator, marker: Marker, log: Logger): Promise<{ runId: string; created: boolean }> {
  const runId = markerRunId(marker);
  const result = await orchestrator.trigger({
    runId,
    trigger: { kind: 'event', by: `${marker.bucket.replace(/\/+$/, '')}/${marker.key}` },
    conf: { marker },
  });
  await pool.query(
    `INSERT INTO stockflow.markers (bucket, key, etag, run_id, fired) VALUES ($1, $2, $3, $4, true)
     ON CONFLICT (bucket, key, etag) DO NOTHING`,
    [marker.bucket, marker.key, marker.etag, runId],
  );
  log.log('info', result.created ? `marker ${marker.key} (${marker.etag}): run ${runId} triggered` : `marker ${marker.key}: run ${runId} was already triggered`);
  return result;
}

/** Polls the monitored bucket and starts exactly one run per new .SUCCESS object version. */
export class MarkerWatcher {
  private readonly loop: PollingLoop;

  constructor(
    private readonly options: { pool: pg.Pool; store: ObjectStore; orchestrator: Orchestrator; intervalMs: number; log: Logger },
  ) {
    this.loop = new PollingLoop(() => this.scanOnce(), options.intervalMs, (error) =>
      options.log.log('error', `watcher: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** One pass over the bucket; returns the run ids it started. */
  async scanOnce(): Promise<string[]> {
    const { pool, store, orchestrator, log } = this.options;
    const bucket = store.location;
    // The first scan of a bucket takes what is there as history: old markers are not events.
    const first = await pool.query('INSERT INTO stockflow.watched_buckets (bucket) VALUES ($1) ON CONFLICT DO NOTHING', [bucket]);
    const isFirstScan = (first.rowCount ?? 0) > 0;
    const known = await pool.query<{ key: string; etag: string }>('SELECT key, etag FROM stockflow.markers WHERE bucket = $1', [bucket]);
    const seen = new Set(known.rows.map((row) => `${row.key}\n${row.etag}`));
    const started: string[] = [];
    for await (const object of store.list('')) {
      if (!isMarkerKey(object.key) || seen.has(`${object.key}\n${object.etag}`)) continue;
      const marker: Marker = { bucket, key: object.key, etag: object.etag };
      if (isFirstScan) {
        await pool.query('INSERT INTO stockflow.markers (bucket, key, etag, fired) VALUES ($1, $2, $3, false) ON CONFLICT DO NOTHING', [bucket, object.key, object.etag]);
        log.log('info', `marker ${object.key} was there before the first scan: recorded, not fired`);
        continue;
      }
      const result = await fireMarker(pool, orchestrator, marker, log);
      if (result.created) started.push(result.runId);
    }
    return started;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
