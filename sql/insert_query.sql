-- The load step's SQL (the seed called it insert_query.sql). One transaction per batch:
-- lock out concurrent loads, put the batch's rows in place of its companies' old ones. Any error
-- rolls the whole transaction back, so the table is never half-loaded.
-- Incremental path (a batch under a quarter of the table): the rows are COPYd into a temporary
-- table before the load takes the table (loads queued as shards stage side by side), then
-- only the differences touch the table: old rows with no identical new row are
-- deleted, new rows whose key is then free are inserted. A company's history loaded again with
-- one more day rewrites one row, not all of them (every row into seven indexes: ~60 µs a row
-- once they outgrow shared_buffers; BENCHMARKS.md 2026-11-27 (morning)).

-- name: lock_table
LOCK TABLE public.historical_stocks_data IN SHARE ROW EXCLUSIVE MODE;

-- Made before the load's transaction (see beginReplace), dropped when the load ends or the next begins.
-- name: drop_rows_new
DROP TABLE IF EXISTS pg_temp.stockflow_rows_new;

-- name: create_rows_new
CREATE TEMP TABLE stockflow_rows_new (LIKE public.historical_stocks_data);

-- name: copy_rows_new
COPY pg_temp.stockflow_rows_new (stock_date, open_value, high_value, low_value, close_value,
  volume_traded, daily_percent_change, value_change, company_name)
FROM STDIN WITH (FORMAT csv, NULL '');

-- Row counts for the joins below (a temporary table is never analyzed by autovacuum).
-- name: analyze_rows_new
ANALYZE pg_temp.stockflow_rows_new;

-- Two new rows with one key would both meet a kept row below and neither go in: refused first,
-- as the table's primary key refuses them.
-- name: duplicate_new_key
SELECT company_name AS company, stock_date::text AS day FROM pg_temp.stockflow_rows_new
GROUP BY company_name, stock_date HAVING count(*) > 1 LIMIT 1;

-- name: create_rows_before
CREATE TEMP TABLE stockflow_rows_before (LIKE public.historical_stocks_data) ON COMMIT DROP;

-- The batch companies' old rows ($2: every row) that no new row repeats exactly, kept aside (this
-- transaction only) to tell what the load changed. Exactly: as text, so 1.50 replaced by 1.5 is
-- rewritten (the table holds what the output says), though it counts as unchanged (by value).
-- name: delete_differing_rows
WITH gone AS (
  DELETE FROM public.historical_stocks_data h
   WHERE ($2::boolean OR h.company_name = ANY($1::text[]))
     AND NOT EXISTS (
       SELECT 1 FROM pg_temp.stockflow_rows_new n
        WHERE n.company_name = h.company_name AND n.stock_date = h.stock_date
          AND (n.open_value::text, n.high_value::text, n.low_value::text, n.close_value::text, n.volume_traded, n.daily_percent_change::text, n.value_change::text)
              IS NOT DISTINCT FROM
              (h.open_value::text, h.high_value::text, h.low_value::text, h.close_value::text, h.volume_traded, h.daily_percent_change::text, h.value_change::text))
   RETURNING h.*
)
INSERT INTO pg_temp.stockflow_rows_before SELECT * FROM gone;

-- Companies whose file only gained rows ($1; pipeline/read-file.ts): the batch holds only their new
-- rows, so their other rows stay; a new row whose day is there already (it differs: the table was
-- changed outside stockflow) replaces it. Probed through the key from the few staged rows.
-- name: delete_differing_appended_rows
WITH gone AS (
  DELETE FROM public.historical_stocks_data h
   USING pg_temp.stockflow_rows_new n
   WHERE h.company_name = ANY($1::text[]) AND n.company_name = h.company_name AND n.stock_date = h.stock_date
     AND (n.open_value::text, n.high_value::text, n.low_value::text, n.close_value::text, n.volume_traded, n.daily_percent_change::text, n.value_change::text)
         IS DISTINCT FROM
         (h.open_value::text, h.high_value::text, h.low_value::text, h.close_value::text, h.volume_traded, h.daily_percent_change::text, h.value_change::text)
   RETURNING h.*
)
INSERT INTO pg_temp.stockflow_rows_before SELECT * FROM gone;

-- After delete_differing_rows a key still present holds the identical row: the rest go in. Per company.
-- name: insert_new_rows
WITH inserted AS (
  INSERT INTO public.historical_stocks_data
  SELECT n.* FROM pg_temp.stockflow_rows_new n
   WHERE NOT EXISTS (SELECT 1 FROM public.historical_stocks_data h WHERE h.company_name = n.company_name AND h.stock_date = n.stock_date)
  RETURNING company_name
)
SELECT company_name AS company, count(*)::bigint AS rows FROM inserted GROUP BY 1;

-- After the load's commit (VACUUM runs outside a transaction). VACUUM besides ANALYZE: it marks
-- the pages the load wrote all-visible, so reads in the date index's order (the data page, the
-- export) stay index-only scans; it visits only pages not yet all-visible, and skips the index
-- pass when few pages hold dead rows (an incremental load of a few companies: ~0 s on 2 M rows).
-- name: vacuum_analyze_table
VACUUM (ANALYZE) public.historical_stocks_data;

-- The same after the bulk path swapped a new table in: it holds no dead rows, so there is no index
-- pass to share out, but VACUUM would still start two parallel workers for the indexes' cleanup
-- (~0.2 s of the 0.55 s on 2 M rows on a slow VM, ~5 ms without them).
-- name: vacuum_analyze_new_table
VACUUM (ANALYZE, PARALLEL 0) public.historical_stocks_data;

-- Another load waits for this one's table lock (shards of a run, queued): it gets the lock at this
-- one's commit, so a VACUUM or ANALYZE here (their lock conflicts with a load's) would wait for
-- that load, and every load queued behind it, before this load's step could end. The housekeeping
-- is left to the last load of the queue. Asked before the commit, on the table locked at the start
-- ($1) and on the one the name means now (a bulk load swapped another in; a waiter queued on the
-- old one is moved to it).
-- name: load_waiting
SELECT EXISTS (
  SELECT 1 FROM pg_locks
   WHERE locktype = 'relation' AND NOT granted AND mode = 'ShareRowExclusiveLock'
     AND relation IN ($1::oid, 'public.historical_stocks_data'::regclass)
) AS waiting;

-- name: table_oid
SELECT 'public.historical_stocks_data'::regclass::oid AS oid;

-- A load that changed no row: what loads queued before it left (~40 ms on 2 M rows when nothing is).
-- name: vacuum_table
VACUUM public.historical_stocks_data;

-- Whether the table has planner statistics: a bulk load that left its housekeeping to a queued
-- load swapped in a table that has none, and the queued load may change no row.
-- name: table_has_statistics
SELECT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'public' AND tablename = 'historical_stocks_data') AS analyzed;

-- Bulk path (a batch of a quarter of the table or more): while the load's transaction holds the
-- lock above, a second session creates the new table without indexes, COPYs the rows in, keeps the
-- companies outside the batch and commits it under its own name; two sessions build its keys and
-- indexes at once; the load's transaction then swaps the tables and commits. Readers keep reading
-- the old table until that commit, and a failure before it leaves the old table as it was.

-- name: table_size_estimate
SELECT greatest(reltuples, 0)::bigint AS rows FROM pg_class WHERE oid = 'public.historical_stocks_data'::regclass;

-- name: dependent_views
SELECT count(*)::int AS views FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
 WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = 'public.historical_stocks_data'::regclass;

-- A new table left by a bulk load that died (after its table was committed under this name, before
-- the swap) is dropped by the next bulk load, which holds the table lock: only its holder makes one.
-- A load that changed the table: the overview's cached figures (migration 022) are stale.
-- name: bump_table_version
UPDATE stockflow.table_version SET version = version + 1;

-- name: lock_table_nowait
LOCK TABLE public.historical_stocks_data IN SHARE ROW EXCLUSIVE MODE NOWAIT;

-- name: drop_next_table
DROP TABLE IF EXISTS public.historical_stocks_data_next;

-- name: create_next_table
CREATE TABLE public.historical_stocks_data_next (LIKE public.historical_stocks_data INCLUDING DEFAULTS INCLUDING CONSTRAINTS);

-- FREEZE: the table was created in this transaction, so its rows can be written frozen (no later
-- vacuum pass to freeze them, no hint-bit writes on first read).
-- name: copy_rows_next
COPY public.historical_stocks_data_next (stock_date, open_value, high_value, low_value, close_value,
  volume_traded, daily_percent_change, value_change, company_name)
FROM STDIN WITH (FORMAT csv, NULL '', FREEZE);

-- Index builds sort in memory up to this much (the default 64 MB spills 2 M rows to disk), shared
-- by the parallel workers PostgreSQL gives a btree build.
-- name: index_build_memory
SET LOCAL maintenance_work_mem = '256MB';

-- name: keep_other_companies
INSERT INTO public.historical_stocks_data_next
SELECT * FROM public.historical_stocks_data WHERE company_name <> ALL($1::text[]);

-- What a load changed, per company: old rows ($2 = every company, else those in $1) against the
-- new ones, matched on the key (company_name, stock_date). Numbers compare by value (1.50 = 1.5).
-- name: changes_bulk
SELECT coalesce(n.company_name, o.company_name) AS company,
  count(*) FILTER (WHERE o.stock_date IS NULL) AS added,
  count(*) FILTER (WHERE n.stock_date IS NULL) AS removed,
  count(*) FILTER (WHERE o.stock_date IS NOT NULL AND n.stock_date IS NOT NULL AND
    (o.open_value, o.high_value, o.low_value, o.close_value, o.volume_traded, o.daily_percent_change, o.value_change) IS DISTINCT FROM
    (n.open_value, n.high_value, n.low_value, n.close_value, n.volume_traded, n.daily_percent_change, n.value_change)) AS changed,
  count(*) FILTER (WHERE o.stock_date IS NOT NULL AND n.stock_date IS NOT NULL) AS matched
FROM (SELECT * FROM public.historical_stocks_data WHERE $2::boolean OR company_name = ANY($1::text[])) o
FULL JOIN (SELECT * FROM public.historical_stocks_data_next WHERE $2::boolean OR company_name = ANY($1::text[])) n
  ON n.company_name = o.company_name AND n.stock_date = o.stock_date
GROUP BY 1;

-- A load that replaces no earlier row (the first load of these companies) only adds: it skips the
-- FULL JOIN (~1-3 s on 2 M rows) and counts the new rows per company instead, unless the transform's
-- own counts are at hand. Both give exactly what changes_* give then.
-- name: rows_before_exist
SELECT EXISTS (SELECT 1 FROM public.historical_stocks_data WHERE $2::boolean OR company_name = ANY($1::text[])) AS exist;

-- name: added_only_bulk
SELECT company_name AS company, count(*) AS added, 0 AS removed, 0 AS changed, 0 AS matched
FROM public.historical_stocks_data_next WHERE $2::boolean OR company_name = ANY($1::text[]) GROUP BY 1;

-- Incremental path, per company: the deleted old rows against the new ones ($1 companies with
-- $2 rows inserted); a new row not inserted is an old one kept as it was. Same counts as changes_bulk.
-- name: changes_incremental
WITH inserted AS (
  SELECT unnest($1::text[]) AS company, unnest($2::bigint[]) AS rows
), deleted AS (
  SELECT o.company_name AS company,
    count(*) FILTER (WHERE n.stock_date IS NULL) AS removed,
    count(*) FILTER (WHERE n.stock_date IS NOT NULL) AS matched,
    count(*) FILTER (WHERE n.stock_date IS NOT NULL AND
      (o.open_value, o.high_value, o.low_value, o.close_value, o.volume_traded, o.daily_percent_change, o.value_change) IS DISTINCT FROM
      (n.open_value, n.high_value, n.low_value, n.close_value, n.volume_traded, n.daily_percent_change, n.value_change)) AS changed
  FROM pg_temp.stockflow_rows_before o
  LEFT JOIN pg_temp.stockflow_rows_new n ON n.company_name = o.company_name AND n.stock_date = o.stock_date
  GROUP BY 1
), staged AS (
  SELECT company_name AS company, count(*) AS rows FROM pg_temp.stockflow_rows_new GROUP BY 1
)
SELECT coalesce(s.company, d.company) AS company,
  coalesce(i.rows, 0) - coalesce(d.matched, 0) AS added,
  coalesce(d.removed, 0) AS removed,
  coalesce(d.changed, 0) AS changed,
  coalesce(d.matched, 0) + coalesce(s.rows, 0) - coalesce(i.rows, 0) AS matched
FROM staged s
FULL JOIN deleted d ON d.company = s.company
LEFT JOIN inserted i ON i.company = coalesce(s.company, d.company);

-- Demo data (stockflow.demo_companies): which companies' rows are synthetic.
-- name: demo_companies_outside_batch
SELECT company_name FROM stockflow.demo_companies WHERE company_name <> ALL($1::text[]) ORDER BY company_name;

-- name: forget_demo_companies
DELETE FROM stockflow.demo_companies;

-- name: forget_demo_companies_named
DELETE FROM stockflow.demo_companies WHERE company_name = ANY($1::text[]);

-- A shard's replace: the table's companies outside the batch (the caller keeps its shard's). One
-- index probe per company (a loose index scan on the key), not a scan of every row.
-- name: companies_outside_batch
WITH RECURSIVE names AS (
  SELECT min(company_name) AS company_name FROM public.historical_stocks_data
  UNION ALL
  SELECT (SELECT min(t.company_name) FROM public.historical_stocks_data t WHERE t.company_name > names.company_name)
  FROM names WHERE names.company_name IS NOT NULL
)
SELECT company_name FROM names WHERE company_name IS NOT NULL AND company_name <> ALL($1::text[]) ORDER BY company_name;

-- name: remember_demo_companies
INSERT INTO stockflow.demo_companies (company_name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING;

-- name: count_rows
SELECT count(*)::bigint AS rows FROM public.historical_stocks_data;

-- name: key_constraints
SELECT conname AS name, contype AS kind, pg_get_indexdef(conindid) AS index FROM pg_constraint
 WHERE conrelid = 'public.historical_stocks_data'::regclass AND contype IN ('p', 'u') ORDER BY conname;

-- name: plain_indexes
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'public.historical_stocks_data'::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname;

-- name: lock_for_swap
LOCK TABLE public.historical_stocks_data IN ACCESS EXCLUSIVE MODE;

-- name: drop_old_table
DROP TABLE public.historical_stocks_data;

-- name: rename_next_table
ALTER TABLE public.historical_stocks_data_next RENAME TO historical_stocks_data;
