/** One of a run's `count` groups of companies (1-based `index`); see pipeline/shard.ts. */
export interface Shard {
  index: number;
  count: number;
}
