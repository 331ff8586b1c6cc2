import { z } from 'zod';

import { parseStepKey } from '../pipeline/shard';
import { mergeManifests } from '../pipeline/shard-merge';
import type { RunSummary } from '../pipeline/summary';
import type { Manifest } from '../pipeline/transform';
import type { RunView, TaskView } from '../ports/orchestrator';
import type { StepRecord } from '../ports/step-results';
import { LOAD_MODES, type LoadMode } from '../ports/stock-table';
import { isActive, isCancellable, isFinished, isRerunnable, isRetryable } from '../runs/run-status';
import type { Services } from '../services';
import { groupSteps, type StepGroupView } from './step-groups';

export interface RunDetail {
  run: RunView;
  tasks: TaskView[];
  /** The steps as rows, in pipeline order: a sharded step's shards within it (`transform` · 3 shards). */
  steps: StepGroupView[];
  /** Each step key's recorded try numbers, oldest first (the log viewer's try picker). */
  tries: Record<string, number[]>;
  /** The run's conf as pretty JSON, as recorded. */
  confJson: string;
  /** The re-run form's starting point: the conf without the trigger an engine keeps in it (the new run gets its own). */
  rerunConfJson: string;
  rows: { read: number; loaded: number; rejected: number } | null;
  isFinished: boolean;
  isCancellable: boolean;
  isRetryable: boolean;
  isRerunnable: boolean;
  rejects: { count: number; first: Manifest['firstRejects'] } | null;
  /** The load's mode and what it changed (runs recorded before changes were measured: null). */
  dataChanges: DataChangesView | null;
}

export type DataChangesView = Pick<RunSummary, 'loadMode' | 'demo' | 'changes' | 'companiesRemoved'> & {
  /** Files not read: unchanged since their rows were loaded (summaries from before skipping: 0). */
  filesUnchanged: number;
  /** Files that only gained rows since loaded: only the new rows were loaded (summaries from before appends: 0). */
  filesAppended: number;
};

// Airflow runs carry stockflow's trigger in dag_run.conf (airflow-orchestrator.ts).
const ENGINE_TRIGGER_KEY = 'stockflow_trigger';

const summaryRowsSchema = z.object({ rows: z.object({ read: z.number(), loaded: z.number(), rejected: z.number() }) });
const count = z.number().int().min(0);
const summaryChangesSchema = z.object({
  loadMode: z.enum(LOAD_MODES as [LoadMode, ...LoadMode[]]),
  demo: z.boolean(),
  companiesRemoved: count,
  files: z.object({ unchanged: count.catch(0), appended: count.catch(0) }).catch({ unchanged: 0, appended: 0 }),
  changes: z
    .object({
      totals: z.object({ added: count, changed: count, removed: count, unchanged: count, companiesAdded: count, companiesRemoved: count }),
      companies: z.array(z.object({ company: z.string(), added: count, changed: count, removed: count, unchanged: count })),
      moreCompanies: count,
    })
    .nullable(),
});

const isTransformShard = (key: string): boolean => {
  const { step, shard } = parseStepKey(key);
  return step === 'transform' && shard !== undefined;
};

/** The rejected rows transform reported: a sharded run's shards summed (their first rejects in shard order). */
async function transformRejects(services: Pick<Services, 'pipelineContext'>, runId: string, tasks: TaskView[]): Promise<RunDetail['rejects']> {
  const { results } = services.pipelineContext(runId, { log: () => {} });
  const sharded = tasks.some((task) => isTransformShard(task.step));
  // A sharded run's manifests are one per shard; reading them all is only worth it then.
  const records: StepRecord[] = sharded ? (await results.list(runId)).filter((record) => isTransformShard(record.step)) : [await results.get(runId, 'transform')].filter((record) => record !== null);
  const manifests = records
    .filter((record) => record.status === 'success')
    .sort((a, b) => (parseStepKey(a.step).shard?.index ?? 0) - (parseStepKey(b.step).shard?.index ?? 0))
    .map((record) => record.result as Manifest);
  if (manifests.length === 0) return null;
  // The shards done so far, taken together as the run's summary takes them once all are.
  const { totals, firstRejects } = mergeManifests(manifests, { outputKey: '', rejectsKey: '' });
  return { count: totals.rowsRejected, first: firstRejects };
}

/** A run with its steps and ready flags, as the run page renders and polls it. */
export async function loadRunDetail(services: Pick<Services, 'orchestrator' | 'runs' | 'pipelineContext'>, runId: string): Promise<RunDetail | null> {
  const run = await services.orchestrator.getRun(runId);
  if (!run) return null;
  const [tasks, tries] = await Promise.all([services.orchestrator.listTasks(runId), services.runs.listTryNumbers(runId)]);
  const rejects = await transformRejects(services, runId, tasks);
  const summary = summaryRowsSchema.safeParse(run.summary);
  const changes = summaryChangesSchema.safeParse(run.summary);
  return {
    run,
    tasks,
    steps: groupSteps(tasks, isActive(run.status)),
    tries,
    confJson: JSON.stringify(run.conf, null, 2),
    rerunConfJson: JSON.stringify(Object.fromEntries(Object.entries(run.conf).filter(([key]) => key !== ENGINE_TRIGGER_KEY)), null, 2),
    rows: summary.success ? summary.data.rows : null,
    isFinished: isFinished(run.status),
    isCancellable: isCancellable(run.status),
    isRetryable: isRetryable(run.status),
    isRerunnable: isRerunnable(run.status),
    rejects,
    dataChanges: changes.success ? (({ files, ...rest }) => ({ ...rest, filesUnchanged: files.unchanged, filesAppended: files.appended }))(changes.data) : null,
  };
}
