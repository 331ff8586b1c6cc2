-- The data page and its CSV export read newest first by default (stock_date DESC, company_name DESC).
-- 005's index served that order only by a backward scan and a heap fetch per row, and the rows of
-- one day sit on as many heap pages as there are companies: the export's scan alone took 1.8 s of
-- PostgreSQL's CPU on 2 M rows (the primary key order 0.35 s). In the order it is read, and holding
-- every column, the default order is an index-only forward scan (0.3-1.0 s, most of it reading the
-- index's pages through shared_buffers): the rows are loaded with COPY FREEZE, which marks the pages
-- all-visible, and each load ends with a VACUUM for the rest. Ascending dates scan it backwards.
DROP INDEX IF EXISTS public.historical_stocks_date;
CREATE INDEX historical_stocks_date ON public.historical_stocks_data (stock_date DESC, company_name DESC)
  INCLUDE (open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change);
