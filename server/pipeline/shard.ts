import { z } from 'zod';

import type { Shard } from '../ports/shard';

/**
 * Scale-out: a run's companies are hashed into `count` groups; transform and load run once per
 * group (`--shard index/count`, 1-based like Jest's and Playwright's), each in its own process and
 * its own load transaction. One shard (1/1) is the plain, unsharded run. See docs/SCALING.md.
 */
export type { Shard } from '../ports/shard';

/** Most shards a run may have (Airflow maps at most 1024 task instances by default). */
export const MAX_SHARDS = 256;

export const shardSchema = z
  .string()
  .trim()
  .regex(/^\d+\/\d+$/, 'a shard is written i/N, like 2/3')
  .transform((text) => {
    const [index, count] = text.split('/').map(Number) as [number, number];
    return { index, count };
  })
  .refine(({ count }) => count >= 1 && count <= MAX_SHARDS, `N is 1 to ${MAX_SHARDS}`)
  .refine(({ index, count }) => index >= 1 && index <= count, 'i is 1 to N');

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

export function isWholeRun(shard: Shard | undefined): boolean {
  return shard === undefined || shard.count === 1;
}

/**
 * The shard (1-based) a company belongs to: FNV-1a over its upper-cased name. Stable across
 * processes, machines and runs, so a company's rows always come from and go to the same shard.
 */
export function shardOfCompany(company: string, count: number): number {
  let hash = 0x811c9dc5;
  const name = company.toUpperCase();
  for (let position = 0; position < name.length; position += 1) {
    hash ^= name.charCodeAt(position);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % count) + 1;
}

export function inShard(company: string, shard: Shard | undefined): boolean {
  return isWholeRun(shard) || shardOfCompany(company, shard!.count) === shard!.index;
}

/** The shards of a run of `count` groups, in order. */
export function allShards(count: number): Shard[] {
  return Array.from({ length: count }, (_, position) => ({ index: position + 1, count }));
}

/** The shards as the DAG maps them: ["1/3", "2/3", "3/3"]. */
export function shardList(count: number): string[] {
  return allShards(count).map(formatShard);
}

/**
 * The name a sharded step records its try, log and result under: `transform[2/3]`. The whole
 * run's steps keep their plain names.
 */
export function shardStepKey(step: string, shard: Shard | undefined): string {
  return isWholeRun(shard) ? step : `${step}[${formatShard(shard!)}]`;
}

/** The step and shard a recorded step key names; plain names have no shard. */
export function parseStepKey(key: string): { step: string; shard: Shard | undefined } {
  const match = /^([a-z]+)\[(\d+)\/(\d+)\]$/.exec(key);
  if (!match) return { step: key, shard: undefined };
  return { step: match[1]!, shard: { index: Number(match[2]), count: Number(match[3]) } };
}
