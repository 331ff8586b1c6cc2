-- Keyset paging of the data page by the columns people sort on most; each index ends with the
-- primary key so (value, company, date) is a unique, indexable cursor.
CREATE INDEX IF NOT EXISTS historical_stocks_date ON public.historical_stocks_data (stock_date, company_name);
CREATE INDEX IF NOT EXISTS historical_stocks_close ON public.historical_stocks_data (close_value, company_name, stock_date);
CREATE INDEX IF NOT EXISTS historical_stocks_volume ON public.historical_stocks_data (volume_traded, company_name, stock_date);
CREATE INDEX IF NOT EXISTS historical_stocks_percent ON public.historical_stocks_data (daily_percent_change, company_name, stock_date);
