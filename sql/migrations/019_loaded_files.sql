-- Which source file each company's rows in historical_stocks_data came from, written in the
-- load's own transaction: a re-run skips a file whose fingerprint (key, ETag, size, transform
-- version) still matches, since the table already holds exactly its rows. See docs/SCALING.md.
CREATE TABLE IF NOT EXISTS stockflow.loaded_files (
  company_name text PRIMARY KEY,
  source_key text NOT NULL,
  etag text NOT NULL,
  size bigint NOT NULL,
  transform_version integer NOT NULL,
  run_id text NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now()
);
