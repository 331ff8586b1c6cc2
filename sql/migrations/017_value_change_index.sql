-- The data page sorts by value_change like by percent (empty values lowest: server/read-models/
-- data-order.ts); without an index an unfiltered sort of 2 M rows took 1.2-1.5 s (issue #11).
CREATE INDEX IF NOT EXISTS historical_stocks_value_change ON public.historical_stocks_data (value_change NULLS FIRST, company_name, stock_date);
