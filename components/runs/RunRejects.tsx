import { paths } from '@/components/shared/paths';
import type { RunDetail } from '@/server/read-models/run-detail';

import { formatNumber } from './format';
import styles from './runs.module.css';

/** The rows transform refused, the first few shown, all of them downloadable. */
export function RunRejects({ runId, rejects }: { runId: string; rejects: NonNullable<RunDetail['rejects']> }) {
  return (
    <section aria-labelledby="run-rejects-heading">
      <h2 id="run-rejects-heading">Rejected rows</h2>
      {rejects.count === 0 ? (
        <p className="muted">No rows were rejected.</p>
      ) : (
        <>
          <p>
            {formatNumber(rejects.count)} rows rejected. <a href={paths.api.runRejects(runId)}>Download rejects.csv</a>
          </p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>File</th>
                  <th className="num">Line</th>
                  <th>Reason</th>
                  <th>Row</th>
                </tr>
              </thead>
              <tbody>
                {rejects.first.map((reject) => (
                  <tr key={`${reject.file}:${reject.line}`} className={styles.rejectsRow}>
                    <td>{reject.file}</td>
                    <td className="num">{reject.line}</td>
                    <td>{reject.reason}</td>
                    <td>
                      <code>{reject.raw}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
