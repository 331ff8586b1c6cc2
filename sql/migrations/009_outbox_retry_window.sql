-- Undelivered mail is retried for a day (capped backoff) before it is marked failed; resending a
-- failed message from the panel or the CLI opens a new window.
ALTER TABLE stockflow.outbox ADD COLUMN IF NOT EXISTS retry_window_start timestamptz;
UPDATE stockflow.outbox SET retry_window_start = created_at WHERE retry_window_start IS NULL;
ALTER TABLE stockflow.outbox ALTER COLUMN retry_window_start SET DEFAULT now();
ALTER TABLE stockflow.outbox ALTER COLUMN retry_window_start SET NOT NULL;
