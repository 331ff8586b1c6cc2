import { z } from 'zod';

import { STEP_NAMES } from '../pipeline/steps';
import { RUN_STATUSES, type RunStatus, type RunView, type TaskView, type TriggerInfo } from '../ports/orchestrator';
import { isActive, isCancellable } from '../runs/run-status';
import type { Services } from '../services';
import { calendarDaySchema } from '../util/calendar-day';
import { groupSteps, type StepState } from './step-groups';

const PAGE_SIZE = 25;

/** The URL's filters, each checked on its own: a bad one is reported next to its field, the others still apply. */
const fieldSchemas = {
  status: z.enum(RUN_STATUSES, { message: `status must be one of ${RUN_STATUSES.join(', ')}` }),
  before: z.string().regex(/^\d{1,18}$/, 'not a page cursor (use the "Older runs" link)'),
  from: calendarDaySchema,
  to: calendarDaySchema,
};
export type RunsFilterField = keyof typeof fieldSchemas;

export interface RunsFilters {
  status: RunStatus | null;
  before: string | null;
  from: string | null;
  to: string | null;
}

/** A grid cell's state: a step's latest try (a sharded step's shards summed up), or why the step has none. */
export type GridCellState = StepState;

export interface GridCell {
  step: string;
  state: GridCellState;
  tryNumber: number | null;
  /** A sharded step: how many shards, and how many in each state (worst first). */
  shards: { count: number; states: { state: GridCellState; count: number }[] } | null;
}

export interface GridColumn {
  runId: string;
  status: RunStatus;
  queuedAt: string;
  /** How long the run took, once it has ended (the column's bar). */
  durationSeconds: number | null;
  cells: GridCell[];
}

export interface TrendPoint {
  runId: string;
  queuedAt: string;
  status: RunStatus;
  durationSeconds: number;
}

export interface RunsListRow {
  id: string;
  status: RunStatus;
  trigger: TriggerInfo;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  rowsLoaded: number | null;
  isCancellable: boolean;
}

export interface RunsList {
  filters: RunsFilters;
  /** Per field, why its value was ignored. */
  errors: Partial<Record<RunsFilterField, string>>;
  rows: RunsListRow[];
  nextCursor: string | null;
  /** Runs × steps, oldest run first (newest on the right, as Airflow's grid). */
  grid: { steps: string[]; columns: GridColumn[] };
  /** Finished runs' durations, oldest first. */
  trend: TrendPoint[];
  /** Some run is queued or running: the page keeps refreshing. */
  hasActive: boolean;
  /** When the runs were read: what running runs' durations count up to. */
  asOf: string;
}

const summaryRowsSchema = z.object({ rows: z.object({ loaded: z.number() }) });

function parseFilters(search: Record<string, string | string[] | undefined>): { filters: RunsFilters; errors: RunsList['errors'] } {
  const errors: RunsList['errors'] = {};
  const field = <T>(name: RunsFilterField, schema: z.ZodType<T, string>): T | null => {
    const raw = search[name];
    if (raw === undefined || raw === '') return null;
    const parsed = schema.safeParse(Array.isArray(raw) ? raw[0] : raw);
    if (parsed.success) return parsed.data;
    errors[name] = parsed.error.issues[0]?.message ?? 'not understood';
    return null;
  };
  const filters: RunsFilters = {
    status: field('status', fieldSchemas.status),
    before: field('before', fieldSchemas.before),
    from: field('from', fieldSchemas.from),
    to: field('to', fieldSchemas.to),
  };
  if (filters.from && filters.to && filters.from > filters.to) {
    errors.to = 'the end date is before the start date';
    filters.to = null;
  }
  return { filters, errors };
}

function durationSeconds(run: RunView): number | null {
  if (!run.startedAt || !run.finishedAt) return null;
  return Math.max(0, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000);
}

function gridColumn(run: RunView, tasks: TaskView[]): GridColumn {
  const groups = groupSteps(tasks, isActive(run.status));
  const cells = STEP_NAMES.map((step): GridCell => {
    // A sharded step over a plain one of the same name (a run retried with shards).
    const group = groups.findLast((candidate) => candidate.step === step);
    if (!group) return { step, state: isActive(run.status) ? 'waiting' : 'not_run', tryNumber: null, shards: null };
    const shards = group.shards.length > 0 ? { count: group.shards.length, states: group.shardStates } : null;
    return { step, state: group.state, tryNumber: group.tryNumber, shards };
  });
  return { runId: run.id, status: run.status, queuedAt: run.queuedAt, durationSeconds: durationSeconds(run), cells };
}

/** The runs screen: the filtered page of runs as a table, a runs × steps grid and a duration trend. */
export async function loadRunsList(services: Pick<Services, 'orchestrator' | 'runs'>, search: Record<string, string | string[] | undefined>): Promise<RunsList> {
  const { filters, errors } = parseFilters(search);
  const asOf = new Date().toISOString();
  const page = await services.orchestrator.listRuns({
    limit: PAGE_SIZE,
    status: filters.status ?? undefined,
    before: filters.before,
    from: filters.from ?? undefined,
    to: filters.to ?? undefined,
  });
  const tasksByRun = await services.runs.listTasksOfRuns(page.runs.map((run) => run.id));
  const oldestFirst = [...page.runs].reverse();
  return {
    filters,
    errors,
    rows: page.runs.map((run) => {
      const summary = summaryRowsSchema.safeParse(run.summary);
      return {
        id: run.id,
        status: run.status,
        trigger: run.trigger,
        queuedAt: run.queuedAt,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        rowsLoaded: summary.success ? summary.data.rows.loaded : null,
        isCancellable: isCancellable(run.status),
      };
    }),
    nextCursor: page.nextCursor,
    grid: { steps: [...STEP_NAMES], columns: oldestFirst.map((run) => gridColumn(run, tasksByRun.get(run.id) ?? [])) },
    trend: oldestFirst.flatMap((run) => {
      const seconds = durationSeconds(run);
      return seconds === null ? [] : [{ runId: run.id, queuedAt: run.queuedAt, status: run.status, durationSeconds: seconds }];
    }),
    hasActive: page.runs.some((run) => isActive(run.status)),
    asOf,
  };
}
