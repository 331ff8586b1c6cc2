import type { RunDetail } from '@/server/read-models/run-detail';

import { RerunForm } from './RerunForm';
import styles from './runs.module.css';

/** The conf the run was started with, and a new run from it. */
export function RunConf({ detail, canOperate }: { detail: RunDetail; canOperate: boolean }) {
  return (
    <section aria-labelledby="run-conf-heading">
      <h2 id="run-conf-heading">Conf</h2>
      <pre className={styles.conf} data-testid="run-conf">
        {detail.confJson}
      </pre>
      <RerunForm runId={detail.run.id} confJson={detail.rerunConfJson} canOperate={canOperate} finished={detail.isRerunnable} />
    </section>
  );
}
