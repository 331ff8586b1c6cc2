-- The load step's SQL (the seed called it insert_query.sql). One transaction per batch:
-- lock out concurrent loads, drop the batch companies' rows, COPY the new rows in. Any error
-- rolls the whole transaction back, so the table is never half-loaded.
-- Chosen over a staging table + INSERT ... SELECT by `npm run bench` (see BENCHMARKS.md).

-- name: lock_table
LOCK TABLE public.historical_stocks_data IN SHARE ROW EXCLUSIVE MODE;

-- name: delete_batch_companies
DELETE FROM public.historical_stocks_data WHERE company_name = ANY($1::text[]);

-- name: copy_rows
COPY public.historical_stocks_data (stock_date, open_value, high_value, low_value, close_value,
  volume_traded, daily_percent_change, value_change, company_name)
FROM STDIN WITH (FORMAT csv, NULL '');

-- name: analyze_table
ANALYZE public.historical_stocks_data;
