-- Runs, their task runs and task logs, whichever engine runs them; and the .SUCCESS markers seen.

CREATE TABLE IF NOT EXISTS stockflow.runs (
  id text PRIMARY KEY,
  -- Insertion order, for keyset paging that stays fast with thousands of runs.
  seq bigserial UNIQUE,
  trigger_kind text NOT NULL CHECK (trigger_kind IN ('manual', 'event', 'schedule')),
  triggered_by text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled')),
  orchestrator text NOT NULL DEFAULT 'embedded',
  conf jsonb NOT NULL DEFAULT '{}',
  summary jsonb,
  error text,
  cancel_requested boolean NOT NULL DEFAULT false,
  worker_id text,
  queued_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS runs_status_seq ON stockflow.runs (status, seq);
CREATE INDEX IF NOT EXISTS runs_queued_at ON stockflow.runs (queued_at);

CREATE TABLE IF NOT EXISTS stockflow.task_runs (
  run_id text NOT NULL REFERENCES stockflow.runs (id) ON DELETE CASCADE,
  step text NOT NULL,
  try_number integer NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'up_for_retry', 'cancelled')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  progress_done integer NOT NULL DEFAULT 0,
  progress_total integer NOT NULL DEFAULT 0,
  progress_rows bigint NOT NULL DEFAULT 0,
  error text,
  PRIMARY KEY (run_id, step, try_number)
);

CREATE TABLE IF NOT EXISTS stockflow.task_logs (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES stockflow.runs (id) ON DELETE CASCADE,
  step text NOT NULL,
  try_number integer NOT NULL,
  logged_at timestamptz NOT NULL DEFAULT now(),
  level text NOT NULL,
  message text NOT NULL
);
CREATE INDEX IF NOT EXISTS task_logs_run_step ON stockflow.task_logs (run_id, step, id);

-- Each .SUCCESS object version seen (key + ETag): fires at most one run.
CREATE TABLE IF NOT EXISTS stockflow.markers (
  bucket text NOT NULL,
  key text NOT NULL,
  etag text NOT NULL,
  run_id text,
  fired boolean NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bucket, key, etag)
);

-- Buckets the watcher has scanned once: markers there before the first scan are history, not events.
CREATE TABLE IF NOT EXISTS stockflow.watched_buckets (
  bucket text PRIMARY KEY,
  first_scan_at timestamptz NOT NULL DEFAULT now()
);
