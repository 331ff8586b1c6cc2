-- stockflow's own bookkeeping lives apart from the data, in schema stockflow.

CREATE TABLE IF NOT EXISTS stockflow.step_results (
  run_id text NOT NULL,
  step text NOT NULL,
  status text NOT NULL CHECK (status IN ('success', 'failed')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  result jsonb,
  error text,
  PRIMARY KEY (run_id, step)
);

-- Every notification attempt, delivered or not; undelivered ones are retried from here.
CREATE TABLE IF NOT EXISTS stockflow.outbox (
  id bigserial PRIMARY KEY,
  run_id text,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'test')),
  channel text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_run_id ON stockflow.outbox (run_id);
