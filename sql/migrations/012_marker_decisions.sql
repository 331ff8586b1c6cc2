-- What became of each .SUCCESS marker (and each event delivery) the watcher, the events endpoint or
-- an Airflow-started step saw (issue #10 item 10): answers "why did my upload not start a run?".
-- stockflow.markers stays the dedupe record (one row per upload); this is the log of decisions.

CREATE TABLE IF NOT EXISTS stockflow.marker_decisions (
  -- Insertion order: the listing's keyset, newest first.
  id bigserial PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now(),
  source text NOT NULL CHECK (source IN ('watcher', 'events', 'airflow')),
  -- Unknown for a delivery refused before it was read (wrong secret, too large).
  bucket text,
  key text,
  version text,
  decision text NOT NULL CHECK (decision IN ('started', 'duplicate', 'ignored', 'refused', 'history', 'failed')),
  -- The finer kind: other-bucket, not-a-marker, bad-secret, bad-signature, malformed, ...
  reason text NOT NULL DEFAULT '',
  run_id text,
  detail text NOT NULL DEFAULT '',
  -- The same decision again soon after (a refused sender retrying, a trigger failing every poll)
  -- counts up here instead of adding rows, so a flood cannot push the history out.
  repeats integer NOT NULL DEFAULT 1,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS marker_decisions_decision ON stockflow.marker_decisions (decision, id);
CREATE INDEX IF NOT EXISTS marker_decisions_bucket ON stockflow.marker_decisions (bucket, id);
CREATE INDEX IF NOT EXISTS marker_decisions_run ON stockflow.marker_decisions (run_id) WHERE run_id IS NOT NULL;

-- Bounded growth: server/trigger/marker-log.ts keeps the newest 10,000 rows of the last 30 days,
-- pruning after the inserts that cross a multiple of 100 ids.
COMMENT ON TABLE stockflow.marker_decisions IS
  'Markers seen and the decision taken; pruned to the newest 10,000 rows of the last 30 days by marker-log.ts';
