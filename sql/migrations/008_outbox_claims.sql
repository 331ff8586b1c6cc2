-- Mail is delivered by the notify step itself (on the Airflow host there is no dispatcher) and
-- retried by the dispatcher: a short claim keeps two senders off the same message, and a
-- dedupe key keeps a re-run notify step (Airflow retries the task) from mailing twice.
ALTER TABLE stockflow.outbox ADD COLUMN IF NOT EXISTS claimed_until timestamptz;
ALTER TABLE stockflow.outbox ADD COLUMN IF NOT EXISTS dedupe_key text;
CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedupe_key ON stockflow.outbox (dedupe_key) WHERE dedupe_key IS NOT NULL;
