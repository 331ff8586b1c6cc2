import type { ShardView, StepGroupView } from '@/server/read-models/step-groups';

import { gridStateLabel } from './grid-states';

/** A step's row title: `transform`, or `transform · 3 shards` (Airflow's mapped task). */
export function stepTitle(group: Pick<StepGroupView, 'step' | 'shards'>): string {
  const count = group.shards.length;
  return count === 0 ? group.step : `${group.step} · ${count} shard${count === 1 ? '' : 's'}`;
}

/** "2 success, 1 failed": how a sharded step's shards stand, worst first. */
export function shardStatesText(states: StepGroupView['shardStates']): string {
  return states.map((entry) => `${entry.count} ${gridStateLabel(entry.state)}`).join(', ');
}

export function shardLabel(shard: Pick<ShardView, 'index' | 'count'>): string {
  return `shard ${shard.index}/${shard.count}`;
}

/** The shard that needs looking at: one running, else one that failed, else the last that ran. */
function shardToShow(group: StepGroupView): string {
  const { shards } = group;
  const pick =
    shards.find((shard) => shard.state === 'running') ??
    shards.find((shard) => shard.state === 'failed') ??
    shards.find((shard) => shard.state === 'up_for_retry') ??
    shards.findLast((shard) => shard.tryNumber !== null) ??
    shards[0];
  return pick?.key ?? group.key;
}

/** The step row and the step key (a plain step, or one shard) whose log the page shows. */
export interface ShownStep {
  group: StepGroupView;
  key: string;
}

function shown(group: StepGroupView, key?: string): ShownStep {
  return { group, key: key ?? (group.shards.length > 0 ? shardToShow(group) : group.key) };
}

/**
 * What the page shows for the step asked for (the URL's or a click's `step`): that step or shard;
 * a sharded step's name shows its shard that needs looking at. Anything else, or nothing: the step
 * running, else the one that failed, else the last.
 */
export function resolveStep(groups: StepGroupView[], requested: string | null): ShownStep | null {
  if (requested) {
    const group = groups.findLast((candidate) => candidate.key === requested);
    if (group) return shown(group);
    const owner = groups.find((candidate) => candidate.shards.some((shard) => shard.key === requested));
    if (owner) return shown(owner, requested);
  }
  const fallback = groups.find((group) => group.state === 'running') ?? groups.find((group) => group.state === 'failed') ?? groups.at(-1);
  return fallback ? shown(fallback) : null;
}
