import { z } from 'zod';

import { ObjectNotFoundError } from '../ports/object-store';
import { type PipelineContext, StepInputError } from './context';
import type { DiscoveredFile, DiscoveryResult } from './discover';
import { runOutputKeys } from './output-layout';
import { allShards, formatShard, inShard, isWholeRun, type Shard } from './shard';
import { streamToString } from './streams';

/**
 * A sharded run's file lists are kept per shard, in the shard's folder of the run's output
 * (files.json), not in the discover step's record: each shard's transform then reads its own part,
 * and notify and the panel, which only count, read none. 100,000 files are ~10 MB of JSON.
 */

export interface FileLists {
  files: DiscoveredFile[];
  unchanged: DiscoveredFile[];
}

const discoveredFiles = z.array(
  z.object({
    company: z.string(),
    key: z.string(),
    size: z.number(),
    etag: z.string().optional(),
    loaded: z.object({ size: z.number(), sha256: z.string() }).optional(),
  }),
);
const fileListsSchema = z.object({ files: discoveredFiles, unchanged: discoveredFiles });

/** How many files the batch has to read, and how many it carries over unchanged. */
export function fileCounts(discovery: DiscoveryResult): { files: number; unchanged: number } {
  return discovery.counts ?? { files: discovery.files.length, unchanged: discovery.unchanged?.length ?? 0 };
}

/** The part of a discovery's lists (still held whole) that belongs to one shard. */
function listsIn(discovery: DiscoveryResult, shard: Shard | undefined): FileLists {
  return { files: discovery.files.filter((file) => inShard(file.company, shard)), unchanged: (discovery.unchanged ?? []).filter((file) => inShard(file.company, shard)) };
}

/** Writes each shard's part of the lists; the discovery then keeps only their counts. */
export async function storeShardFileLists(context: PipelineContext, discovery: DiscoveryResult): Promise<DiscoveryResult> {
  const count = discovery.shards ?? 1;
  if (count <= 1) return discovery;
  for (const shard of allShards(count)) {
    await context.source.put(runOutputKeys(context.runId, shard).fileLists, JSON.stringify(listsIn(discovery, shard)), { contentType: 'application/json' });
  }
  return { ...discovery, files: [], unchanged: [], counts: fileCounts(discovery) };
}

/** The files one shard (or the whole run) reads and carries over. */
export async function shardFileLists(context: PipelineContext, discovery: DiscoveryResult, shard: Shard | undefined): Promise<FileLists> {
  if (!discovery.counts) return listsIn(discovery, shard);
  if (isWholeRun(shard)) throw new StepInputError(`run ${context.runId} is split into ${discovery.shards} shards: give the step one of them`);
  const key = runOutputKeys(context.runId, shard).fileLists;
  // Missing, or not JSON of the lists' shape, is the run's input gone; any other error (the store
  // is down) is the store's, left as it is for the step's retries.
  try {
    return fileListsSchema.parse(JSON.parse(await streamToString(await context.source.get(key))));
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError || error instanceof SyntaxError || error instanceof z.ZodError)) throw error;
    throw new StepInputError(`shard ${formatShard(shard!)} of run ${context.runId} has no file list at ${key} in ${context.source.location} (${error.message}): run discover again`);
  }
}
