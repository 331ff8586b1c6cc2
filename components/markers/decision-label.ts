import type { MarkerSeen } from '@/server/read-models/markers-seen';

/** Words and colour for a logged decision; the colours reuse the run status badges. */

const REASONS: Record<string, string> = {
  redelivery: 'already seen (same upload delivered again)',
  'run-existed': 'its run already existed',
  'other-bucket': 'wrong bucket',
  'not-a-marker': 'not a marker key',
  'outside-prefix': 'outside the monitored prefix',
  'test-event': 'S3 test event',
  'not-object-created': 'not an upload',
  'not-from-s3': 'not from S3',
  'bad-secret': 'wrong or missing secret',
  'too-large': 'body too large',
  'not-configured': 'events not configured',
  'bad-signature': 'bad SNS signature',
  'unverifiable-signature': 'SNS signature could not be checked',
  'foreign-topic': 'another SNS topic',
  'sns-not-allowed': 'SNS not configured',
  malformed: 'malformed event',
  'first-scan': "there at the bucket's first scan, not fired",
  'before-versions': 'seen before the upgrade to versions, not fired',
  'trigger-failed': 'the orchestrator refused',
};

const TITLES: Record<MarkerSeen['decision'], string> = {
  started: 'started',
  duplicate: 'duplicate',
  ignored: 'ignored',
  refused: 'refused',
  history: 'history',
  failed: 'trigger failed',
};

const COLOURS: Record<MarkerSeen['decision'], string> = {
  started: 'success',
  duplicate: 'queued',
  ignored: 'cancelled',
  refused: 'failed',
  history: 'cancelled',
  failed: 'failed',
};

export const SOURCE_LABELS: Record<MarkerSeen['source'], string> = { watcher: 'watcher', events: 'events endpoint', airflow: 'Airflow conf' };

export function decisionTitle(decision: MarkerSeen['decision']): string {
  return TITLES[decision];
}

export function decisionColour(decision: MarkerSeen['decision']): string {
  return COLOURS[decision];
}

/** "wrong bucket", or the reason's own name when this list does not know it yet. */
export function reasonLabel(reason: string): string {
  return REASONS[reason] ?? reason.replace(/-/g, ' ');
}

/** "2026-11-25 16:40:01 UTC": times carry their zone. */
export function formatUtc(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 19)} UTC`;
}
