-- The data page orders empty percents as the lowest values (ASC NULLS FIRST / DESC NULLS LAST, see
-- server/read-models/data-order.ts). 005's index has the default NULLS LAST, which serves neither
-- direction of that order; this one serves both (the descending sort scans it backwards).
DROP INDEX IF EXISTS public.historical_stocks_percent;
CREATE INDEX historical_stocks_percent ON public.historical_stocks_data (daily_percent_change NULLS FIRST, company_name, stock_date);
