"""Reference for `npm run bench`: what a data engineer would write with pandas + psycopg2.

Reads each listed file with read_csv, derives the two columns, writes one CSV with to_csv and
COPYs it into the given table. Prints one JSON line: rows, seconds, peak RSS.
Run with Debian's /usr/bin/python3 (python3-pandas, python3-psycopg2).
"""
import json
import os
import resource
import sys
import time

import pandas as pd
import psycopg2

stocks_dir, list_file, dsn, table, out_csv = sys.argv[1:6]
started = time.perf_counter()

with open(list_file) as handle:
    names = [name.strip().strip("'\"") for name in handle.read().replace("\n", ",").split(",") if name.strip()]

frames = []
for name in names:
    path = os.path.join(stocks_dir, name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        continue
    frame = pd.read_csv(path, dtype={"Date": str})
    if frame.empty:
        continue
    change = frame["Close"] - frame["Open"]
    frame["daily_percent_change"] = (change / frame["Open"].where(frame["Open"] != 0) * 100).round(6)
    frame["value_change"] = change.round(6)
    frame["company_name"] = name.split(".")[0]
    frames.append(frame[["Date", "Open", "High", "Low", "Close", "Volume", "daily_percent_change", "value_change", "company_name"]])

batch = pd.concat(frames, ignore_index=True)
batch.to_csv(out_csv, header=False, index=False)

connection = psycopg2.connect(dsn)
with connection, connection.cursor() as cursor, open(out_csv) as data:
    cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", data)
connection.close()

print(json.dumps({
    "rows": int(len(batch)),
    "seconds": time.perf_counter() - started,
    "peakRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
