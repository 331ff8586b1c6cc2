-- Delivery bookkeeping for the outbox dispatcher (SMTP / SNS).
ALTER TABLE stockflow.outbox ADD COLUMN IF NOT EXISTS last_attempt_at timestamptz;
ALTER TABLE stockflow.outbox ADD COLUMN IF NOT EXISTS delivery_id text;
CREATE INDEX IF NOT EXISTS outbox_pending ON stockflow.outbox (channel, id) WHERE status = 'pending';
