import { createHash } from 'node:crypto';

/** A .SUCCESS object: one version of one marker key in one bucket. */
export interface Marker {
  bucket: string;
  key: string;
  /** The content version (S3 ETag, or size+mtime for folders); a re-upload with new content differs. */
  etag: string;
}

export function isMarkerKey(key: string): boolean {
  return key.endsWith('.SUCCESS');
}

/**
 * The run id a marker triggers: derived from the marker, so every delivery of the same event
 * (S3 retries, duplicate notifications, a restarted watcher) names the same run and starts it once.
 */
export function markerRunId(marker: Marker): string {
  const digest = createHash('sha256').update(`${marker.bucket}\n${marker.key}\n${marker.etag}`).digest('hex').slice(0, 24);
  return `event__${digest}`;
}
