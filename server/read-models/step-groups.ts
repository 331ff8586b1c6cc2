import { parseStepKey } from '../pipeline/shard';
import { STEP_NAMES } from '../pipeline/steps';
import type { TaskStatus, TaskView } from '../ports/orchestrator';

/** A step's state on screen: its latest try's status, or why it has none (the run may still get to it, or never will). */
export type StepState = TaskStatus | 'waiting' | 'not_run';

/** One shard of a sharded step (`transform[2/3]`), as a plain step is shown: its latest try. */
export interface ShardView {
  key: string;
  index: number;
  count: number;
  state: StepState;
  /** null: this shard has recorded no try yet. */
  tryNumber: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  progress: TaskView['progress'];
  error: string | null;
}

/**
 * A step as one row (Airflow's mapped task): a plain step's latest try, or a sharded step's shards
 * summed up: failed if any failed, running if any runs, success only when every shard succeeded.
 */
export interface StepGroupView {
  step: string;
  /** What selects it: the plain step's key, or for a sharded step the step's name (a shard is picked within). */
  key: string;
  state: StepState;
  /** The latest try (a sharded step: the highest of its shards'). */
  tryNumber: number | null;
  /** First start to last end; no end while a shard is unfinished. */
  startedAt: string | null;
  finishedAt: string | null;
  /** Summed over the shards. */
  progress: TaskView['progress'];
  error: string | null;
  /** Empty for a plain step; else every shard 1..N, those without a try yet too. */
  shards: ShardView[];
  /** How many shards are in each state, worst first (empty for a plain step). */
  shardStates: { state: StepState; count: number }[];
}

// Worst first: what a sharded step shows when its shards differ.
const STATE_ORDER: StepState[] = ['failed', 'running', 'up_for_retry', 'queued', 'waiting', 'cancelled', 'not_run', 'skipped', 'success'];
const UNFINISHED: StepState[] = ['running', 'up_for_retry', 'queued', 'waiting'];

/** The state of a step made of shards in these states. */
export function aggregateState(states: StepState[]): StepState {
  if (states.length === 0) return 'waiting';
  const worst = STATE_ORDER.find((state) => states.includes(state)) ?? states[0]!;
  // Some shards done while others wait for their turn: the step is under way, not queued.
  if ((worst === 'queued' || worst === 'waiting') && states.includes('success')) return 'running';
  return worst;
}

const stepRank = (step: string): number => {
  const rank = (STEP_NAMES as readonly string[]).indexOf(step);
  return rank < 0 ? STEP_NAMES.length : rank;
};

const earliest = (values: (string | null)[]): string | null => values.filter((value): value is string => value !== null).sort()[0] ?? null;
const latest = (values: (string | null)[]): string | null =>
  values
    .filter((value): value is string => value !== null)
    .sort()
    .at(-1) ?? null;

function shardView(key: string, index: number, count: number, task: TaskView | undefined, missingState: StepState): ShardView {
  if (!task) return { key, index, count, state: missingState, tryNumber: null, startedAt: null, finishedAt: null, progress: { done: 0, total: 0, rows: 0 }, error: null };
  return { key, index, count, state: task.status, tryNumber: task.tryNumber, startedAt: task.startedAt, finishedAt: task.finishedAt, progress: task.progress, error: task.error };
}

function shardedGroup(step: string, tasks: TaskView[], runActive: boolean): StepGroupView {
  const byKey = new Map(tasks.map((task) => [task.step, task]));
  const recorded = tasks.map((task) => ({ key: task.step, ...parseStepKey(task.step).shard! }));
  // Every shard of the run's count is listed, the ones that have not started too.
  const count = Math.max(...recorded.map((shard) => shard.count));
  const keys = new Map<string, { index: number; count: number }>(Array.from({ length: count }, (_, position) => [`${step}[${position + 1}/${count}]`, { index: position + 1, count }]));
  for (const shard of recorded) keys.set(shard.key, shard);
  const missingState: StepState = runActive ? 'waiting' : 'not_run';
  const shards = [...keys].map(([key, shard]) => shardView(key, shard.index, shard.count, byKey.get(key), missingState)).sort((a, b) => a.count - b.count || a.index - b.index);
  const states = shards.map((shard) => shard.state);
  const failed = shards.find((shard) => shard.state === 'failed' && shard.error);
  return {
    step,
    key: step,
    state: aggregateState(states),
    tryNumber: Math.max(...shards.map((shard) => shard.tryNumber ?? 0)) || null,
    startedAt: earliest(shards.map((shard) => shard.startedAt)),
    finishedAt: states.some((state) => UNFINISHED.includes(state)) ? null : latest(shards.map((shard) => shard.finishedAt)),
    progress: shards.reduce((sum, shard) => ({ done: sum.done + shard.progress.done, total: sum.total + shard.progress.total, rows: sum.rows + shard.progress.rows }), { done: 0, total: 0, rows: 0 }),
    error: failed ? `${failed.key}: ${failed.error}` : null,
    shards,
    shardStates: STATE_ORDER.flatMap((state) => {
      const found = states.filter((candidate) => candidate === state).length;
      return found > 0 ? [{ state, count: found }] : [];
    }),
  };
}

function plainGroup(task: TaskView): StepGroupView {
  const { step, tryNumber, startedAt, finishedAt, progress, error } = task;
  return { step, key: step, state: task.status, tryNumber, startedAt, finishedAt, progress, error, shards: [], shardStates: [] };
}

/**
 * A run's latest tries (one per recorded step key) as the steps the screens show, in pipeline
 * order: shards of one step (`transform[1/3]`, `transform[2/3]`...) become one sharded step.
 * `runActive`: shards without a try are still to come (waiting) rather than never run.
 */
export function groupSteps(tasks: TaskView[], runActive: boolean): StepGroupView[] {
  // One task per key: an engine may report a key twice (Airflow's mapped instances); the latest try wins.
  const latestByKey = new Map<string, TaskView>();
  for (const task of tasks) {
    const seen = latestByKey.get(task.step);
    if (!seen || task.tryNumber > seen.tryNumber) latestByKey.set(task.step, task);
  }
  const plain: TaskView[] = [];
  const shardsByStep = new Map<string, TaskView[]>();
  for (const task of latestByKey.values()) {
    const { step, shard } = parseStepKey(task.step);
    if (!shard) plain.push(task);
    else shardsByStep.set(step, [...(shardsByStep.get(step) ?? []), task]);
  }
  const groups = [...plain.map(plainGroup), ...[...shardsByStep].map(([step, shards]) => shardedGroup(step, shards, runActive))];
  return groups.sort((a, b) => stepRank(a.step) - stepRank(b.step) || a.shards.length - b.shards.length || (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
}
