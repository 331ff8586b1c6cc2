-- Sign-in throttling per user name and per client address, one row each, updated atomically (the
-- old per-failure rows were counted before hashing and raced). Expired sessions are purged too.
CREATE TABLE IF NOT EXISTS stockflow.sign_in_throttle (
  key text PRIMARY KEY,               -- 'name:<user name>' or 'ip:<address>'
  failures integer NOT NULL,
  window_start timestamptz NOT NULL,
  locked_until timestamptz
);
DROP TABLE IF EXISTS stockflow.sign_in_failures;
CREATE INDEX IF NOT EXISTS sessions_expires_at ON stockflow.sessions (expires_at);
