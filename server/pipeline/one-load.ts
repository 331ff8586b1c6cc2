import type { LoadResult } from '../ports/stock-table';
import { type PipelineContext, StepInputError } from './context';
import { load } from './load';
import { runOutputKeys } from './output-layout';
import { formatShard } from './shard';
import { mergeManifests, shardedStep } from './shard-merge';
import type { Manifest } from './transform';

/**
 * The load step of a shard when discover chose one load for the run (`oneLoad`: the load rebuilds
 * the table anyway). Shard 1 loads every shard's part in one transaction, so the table is rebuilt
 * once instead of once per shard; the other shards' loads only record that shard 1 takes their
 * rows. Every load runs after every transform (the DAG and the embedded runner both order them so).
 */
export async function loadAsOne(context: PipelineContext, own: Manifest): Promise<LoadResult> {
  const shard = context.shard!;
  const first = formatShard({ index: 1, count: shard.count });
  if (shard.index !== 1) {
    // Shard 1's load may not have run yet: this says where the rows go, not that they are in.
    context.log.log('info', `load: shard ${formatShard(shard)}'s ${own.totals.rowsKept} rows go into shard ${first}'s load, which loads every shard's part as one; nothing to load here`);
    return loadedWith(own, first);
  }
  const transforms = shardedStep<Manifest>(await context.results.list(context.runId), 'transform', shard.count);
  if (transforms.status !== 'success') {
    const state = transforms.status === 'failed' ? 'failed' : 'not succeeded yet';
    throw new StepInputError(`shard ${first} loads the rows of every shard, but ${transforms.key} has ${state}: run it (again) first`);
  }
  context.log.log('info', `load: loading the rows of all ${shard.count} shards in one transaction (the table is rebuilt once, not once per shard)`);
  const keys = runOutputKeys(context.runId);
  const whole = mergeManifests(transforms.results, { outputKey: keys.output, rejectsKey: keys.rejects });
  return load(context, whole, { parts: transforms.results });
}

/** A shard's load result when another shard's load took its rows: nothing counted here. */
function loadedWith(own: Manifest, first: string): LoadResult {
  return {
    rowsLoaded: 0,
    rowsReplaced: 0,
    companies: 0,
    // A run loads as one only when its load rebuilds the table.
    strategy: 'bulk',
    mode: own.loadMode ?? 'companies',
    companiesRemoved: 0,
    changes: { totals: { added: 0, changed: 0, removed: 0, unchanged: 0, companiesAdded: 0, companiesRemoved: 0 }, companies: [], moreCompanies: 0 },
    loadedWith: first,
  };
}
