-- stockflow.loaded_files: the source file behind each company's rows (migration 019).

-- Of the given files, the companies whose rows were last loaded from exactly that file (same key,
-- ETag, size) by this transform version. Compared here: a batch of 100,000 files need not come back.
-- name: companies_loaded_from
SELECT l.company_name
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS f(company_name, source_key, etag, size)
JOIN stockflow.loaded_files l USING (company_name, source_key, etag, size)
WHERE l.transform_version = $5::integer;

-- Of the given files (company, key), the recorded size and SHA-256 of the version their company's
-- rows were last loaded from, by this transform version: what an append is checked against.
-- name: loaded_versions
SELECT l.company_name, l.size, l.sha256
FROM unnest($1::text[], $2::text[]) AS f(company_name, source_key)
JOIN stockflow.loaded_files l USING (company_name, source_key)
WHERE l.transform_version = $3::integer AND l.sha256 IS NOT NULL;

-- Appended companies ($1, with the SHA-256 their run checked against, $2) whose record names
-- another version now: another load replaced their rows meanwhile (a few named in the error).
-- name: appended_bases_changed
SELECT f.company_name
FROM unnest($1::text[], $2::text[]) AS f(company_name, sha256)
LEFT JOIN stockflow.loaded_files l USING (company_name)
WHERE l.sha256 IS DISTINCT FROM f.sha256
ORDER BY f.company_name
LIMIT 5;

-- The batch's files, after its rows were copied (same transaction).
-- name: record_loaded_files
INSERT INTO stockflow.loaded_files (company_name, source_key, etag, size, transform_version, run_id, sha256)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $6::text[], $7::text[])
ON CONFLICT (company_name) DO UPDATE SET source_key = EXCLUDED.source_key, etag = EXCLUDED.etag, size = EXCLUDED.size,
  transform_version = EXCLUDED.transform_version, run_id = EXCLUDED.run_id, sha256 = EXCLUDED.sha256, loaded_at = now();

-- Companies whose rows the load removed, or whose new rows came from no file of record.
-- name: forget_loaded_files
DELETE FROM stockflow.loaded_files WHERE company_name = ANY($1::text[]);

-- name: forget_all_loaded_files
DELETE FROM stockflow.loaded_files;
