-- The overview's figures over the whole table (rows, companies, date range, mean open and close,
-- sum of value_change) take a full scan: 1.2 s on 2 M rows, on every view of the landing page.
-- They change only when a load commits, so they are kept here with the table version they were
-- computed for; every load bumps the version in its transaction (insert_query.sql,
-- bump_table_version), and the overview computes them again only when the versions differ.
CREATE TABLE IF NOT EXISTS stockflow.table_version (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  version bigint NOT NULL
);
INSERT INTO stockflow.table_version (one, version) VALUES (true, 1) ON CONFLICT (one) DO NOTHING;

CREATE TABLE IF NOT EXISTS stockflow.data_summary (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  version bigint NOT NULL,
  rows bigint NOT NULL,
  companies bigint NOT NULL,
  first_date text,
  last_date text,
  mean_open text,
  mean_close text,
  sum_value_change text,
  demo_companies bigint NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now()
);
