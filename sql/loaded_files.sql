-- stockflow.loaded_files: the source file behind each company's rows (migration 019).

-- name: read_loaded_files
SELECT company_name, source_key, etag, size, transform_version FROM stockflow.loaded_files WHERE company_name = ANY($1::text[]);

-- The batch's files, after its rows were copied (same transaction).
-- name: record_loaded_files
INSERT INTO stockflow.loaded_files (company_name, source_key, etag, size, transform_version, run_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $6::text[])
ON CONFLICT (company_name) DO UPDATE SET source_key = EXCLUDED.source_key, etag = EXCLUDED.etag, size = EXCLUDED.size,
  transform_version = EXCLUDED.transform_version, run_id = EXCLUDED.run_id, loaded_at = now();

-- Companies whose rows the load removed, or whose new rows came from no file of record.
-- name: forget_loaded_files
DELETE FROM stockflow.loaded_files WHERE company_name = ANY($1::text[]);

-- name: forget_all_loaded_files
DELETE FROM stockflow.loaded_files;
