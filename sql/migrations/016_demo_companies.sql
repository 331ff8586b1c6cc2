-- Companies whose rows in historical_stocks_data came from stockflow's synthetic demo data. The
-- first load of real data removes their rows (issue #10: demo data never mixes with real data).
CREATE TABLE IF NOT EXISTS stockflow.demo_companies (
  company_name varchar(56) PRIMARY KEY
);
