-- The seed's table, with real types. A table created by hand from the seed (all nine columns
-- VARCHAR(56)) is converted in place; a value that does not convert stops the migration with
-- an error naming it.

CREATE OR REPLACE FUNCTION pg_temp.stockflow_first_bad_value(column_name text, target_type text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  candidate record;
BEGIN
  FOR candidate IN EXECUTE format(
    'SELECT company_name::text AS company, stock_date::text AS day, %I::text AS value FROM historical_stocks_data WHERE %I IS NOT NULL',
    column_name, column_name)
  LOOP
    BEGIN
      EXECUTE format('SELECT NULLIF(trim($1), '''')::%s', target_type) USING candidate.value;
    EXCEPTION WHEN others THEN
      RETURN format('%s = %L (company_name %L, stock_date %L) is not a valid %s',
        column_name, candidate.value, candidate.company, candidate.day, target_type);
    END;
  END LOOP;
  RETURN NULL;
END $$;

DO $$
DECLARE
  wanted constant text[][] := ARRAY[
    ['stock_date', 'date'], ['open_value', 'numeric'], ['high_value', 'numeric'], ['low_value', 'numeric'],
    ['close_value', 'numeric'], ['volume_traded', 'bigint'], ['daily_percent_change', 'numeric'],
    ['value_change', 'numeric']];
  pair text[];
  current_type text;
  problem text;
BEGIN
  IF to_regclass('public.historical_stocks_data') IS NULL THEN
    CREATE TABLE public.historical_stocks_data (
      stock_date date NOT NULL,
      open_value numeric NOT NULL,
      high_value numeric NOT NULL,
      low_value numeric NOT NULL,
      close_value numeric NOT NULL,
      volume_traded bigint NOT NULL,
      daily_percent_change numeric,
      value_change numeric NOT NULL,
      company_name varchar(56) NOT NULL,
      PRIMARY KEY (company_name, stock_date)
    );
    RETURN;
  END IF;

  FOREACH pair SLICE 1 IN ARRAY wanted LOOP
    SELECT data_type INTO current_type FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = 'historical_stocks_data' AND column_name = pair[1];
    IF current_type IS NULL THEN
      RAISE EXCEPTION 'historical_stocks_data exists but has no column %', pair[1];
    END IF;
    IF current_type IN ('character varying', 'text', 'character') THEN
      problem := pg_temp.stockflow_first_bad_value(pair[1], pair[2]);
      IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'Cannot convert historical_stocks_data to typed columns: %', problem;
      END IF;
      EXECUTE format('ALTER TABLE public.historical_stocks_data ALTER COLUMN %I TYPE %s USING NULLIF(trim(%I), '''')::%s',
        pair[1], pair[2], pair[1], pair[2]);
    END IF;
  END LOOP;

  IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = 'public.historical_stocks_data'::regclass AND i.indisprimary) THEN
    SELECT format('company %L has more than one row for %s', company_name, stock_date) INTO problem
      FROM public.historical_stocks_data GROUP BY company_name, stock_date HAVING count(*) > 1 LIMIT 1;
    IF problem IS NOT NULL THEN
      RAISE EXCEPTION 'Cannot add the key (company_name, stock_date) to historical_stocks_data: %', problem;
    END IF;
    SELECT format('a row has no %s', CASE WHEN company_name IS NULL THEN 'company_name' ELSE 'stock_date' END) INTO problem
      FROM public.historical_stocks_data WHERE company_name IS NULL OR stock_date IS NULL LIMIT 1;
    IF problem IS NOT NULL THEN
      RAISE EXCEPTION 'Cannot add the key (company_name, stock_date) to historical_stocks_data: %', problem;
    END IF;
    ALTER TABLE public.historical_stocks_data ADD PRIMARY KEY (company_name, stock_date);
  END IF;
END $$;
