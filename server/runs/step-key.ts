import { z } from 'zod';

import { MAX_SHARDS } from '../pipeline/shard';
import { isStepName, STEP_NAMES, type StepName } from '../pipeline/steps';

/** The steps a run may split into shards (scale-out, issue #11); discover and notify stay single. */
export const SHARDED_STEPS = ['transform', 'load'] as const satisfies readonly StepName[];

// Numbers without leading zeros, so each shard has exactly one key.
const SHARD_KEY = new RegExp(`^(${SHARDED_STEPS.join('|')})\\[([1-9]\\d{0,2})/([1-9]\\d{0,2})\\]$`);

/** A key steps record their tries under: a plain step name, or a shard's `transform[2/3]` (1 <= i <= N <= MAX_SHARDS). */
export function isStepKey(value: string): boolean {
  if (isStepName(value)) return true;
  const match = SHARD_KEY.exec(value);
  if (!match) return false;
  const index = Number(match[2]);
  const count = Number(match[3]);
  return index <= count && count <= MAX_SHARDS;
}

/** A step key from a URL or an API query, checked before it reaches a query. */
export const stepKeySchema = z.string().refine(isStepKey, {
  message: `step must be one of ${STEP_NAMES.join(', ')}, or a shard such as transform[2/3] (${SHARDED_STEPS.join(' or ')}, 1 <= i <= N <= ${MAX_SHARDS})`,
});
