import { createHash } from 'node:crypto';

/** One upload of a .SUCCESS object: a marker key in a bucket, at one version. */
export interface Marker {
  bucket: string;
  key: string;
  /**
   * Names one upload, so re-uploading the same empty file is a new marker: the S3 versionId
   * (versioned bucket), else the event's sequencer; a watcher on an unversioned bucket uses
   * LastModified + ETag; a folder bucket mtime (ns) + size + inode. Never the ETag alone: every
   * empty marker has the same one.
   */
  version: string;
}

export function isMarkerKey(key: string): boolean {
  return key.endsWith('.SUCCESS');
}

/**
 * The run id a marker triggers: derived from the marker's version, so every delivery of the same
 * upload (S3 retries, duplicate notifications, a restarted watcher) names the same run and starts
 * it once, while every new upload names a new run.
 */
export function markerRunId(marker: Marker): string {
  const digest = createHash('sha256').update(`${marker.bucket}\n${marker.key}\n${marker.version}`).digest('hex').slice(0, 24);
  return `event__${digest}`;
}
