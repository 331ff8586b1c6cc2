-- Company names a spreadsheet would read as a formula (first character = + - @ tab CR, by code):
-- the CSV export writes them with a leading quote. Checking every row in the COPY cost 11% of it
-- (0.25 s of PostgreSQL's CPU on 2 M rows); this index, empty unless such a name exists, tells in
-- one probe whether an export needs the check at all. The predicate is the export's own
-- (server/read-models/data-export.ts, FORMULA_NAME_CONDITION), written the same way so the planner
-- matches the two; a test checks they agree.
CREATE INDEX IF NOT EXISTS historical_stocks_formula_names ON public.historical_stocks_data (company_name)
  WHERE ascii(company_name) IN (61, 43, 45, 64, 9, 13);
