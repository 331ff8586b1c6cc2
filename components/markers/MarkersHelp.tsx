/** What the page lists, and where the decisions it cannot see are logged. */
export function MarkersHelp() {
  return (
    <details className="muted">
      <summary>Why did my upload not start a run?</summary>
      <p>
        Every <code>.SUCCESS</code> marker the watcher or the events endpoint saw is listed with what was decided: started a run, a duplicate of a run already started (the same upload delivered
        again), ignored (another bucket, not a marker key), refused (wrong secret, bad SNS signature, malformed event), history (already there when the bucket was first scanned, never fired) or a
        trigger that failed, with the error. Runs Airflow created from a marker in <code>dag_run.conf</code> appear when their first task starts.
      </p>
      <p>
        The AWS Lambda that forwards S3 events to Airflow cannot reach this database: its decisions are in its CloudWatch log group. The last 10,000 entries of the last 30 days are kept. Times are
        UTC.
      </p>
    </details>
  );
}
