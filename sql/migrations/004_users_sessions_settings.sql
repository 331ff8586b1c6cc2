-- Control panel: users and their sessions, failed sign-ins (for slowing down guessing), settings.

CREATE TABLE IF NOT EXISTS stockflow.users (
  id bigserial PRIMARY KEY,
  username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{2,40}$'),
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS stockflow.sessions (
  -- sha256 of the session token: a stolen table cannot be replayed as cookies.
  token_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES stockflow.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON stockflow.sessions (user_id);

CREATE TABLE IF NOT EXISTS stockflow.sign_in_failures (
  id bigserial PRIMARY KEY,
  username text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sign_in_failures_user ON stockflow.sign_in_failures (username, failed_at);

CREATE TABLE IF NOT EXISTS stockflow.settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
