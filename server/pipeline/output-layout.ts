import { Readable } from 'node:stream';

import { ObjectNotFoundError, type ObjectStore } from '../ports/object-store';
import { KEYS, type PipelineContext } from './context';
import { putManifest, readManifest } from './manifest-file';
import { isWholeRun, type Shard } from './shard';
import { mergeManifests } from './shard-merge';
import type { Manifest } from './transform';

/**
 * Output/ layout. A run writes only under Output/runs/<run id>/; the published names
 * (Output/historical_stock_data.csv, rejects.csv, manifest.json) are replaced only after its load
 * committed, manifest.json last: it names the run Output/ holds. See docs/RELIABILITY.md.
 */

const RUNS_PREFIX = 'Output/runs/';
/** Files of another run untouched this long are a killed run's leftovers (an active writer touches its files). */
export const DEFAULT_STALE_OUTPUT_MS = 60 * 60_000;

export interface RunOutputKeys {
  output: string;
  rejects: string;
  manifest: string;
  /** Rows and rejects of unchanged files, carried over from the published files (unchanged-files.ts). */
  unchangedOutput: string;
  unchangedRejects: string;
  /** A shard's part of a sharded run's file lists (shard-file-lists.ts). */
  fileLists: string;
}

/** The run id as one key segment (Airflow ids hold ':' and '+'), reversibly. */
function folderOf(runId: string): string {
  const encoded = encodeURIComponent(runId);
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

function runIdOf(folder: string): string | null {
  try {
    return decodeURIComponent(folder);
  } catch {
    return null;
  }
}

/** A run's own files; a shard's go in a folder of their own inside the run's (shard-2-of-3/). */
export function runOutputKeys(runId: string, shard?: Shard): RunOutputKeys {
  const folder = `${RUNS_PREFIX}${folderOf(runId)}/${isWholeRun(shard) ? '' : `shard-${shard!.index}-of-${shard!.count}/`}`;
  return {
    output: `${folder}historical_stock_data.csv`,
    rejects: `${folder}rejects.csv`,
    manifest: `${folder}manifest.json`,
    unchangedOutput: `${folder}unchanged.csv`,
    unchangedRejects: `${folder}unchanged-rejects.csv`,
    fileLists: `${folder}files.json`,
  };
}

/** The run whose files Output/ holds, or null. */
export async function publishedRunId(source: ObjectStore): Promise<string | null> {
  const manifest = await readManifest(source, KEYS.manifest, { headerOnly: true });
  return typeof manifest?.runId === 'string' ? manifest.runId : null;
}

/** The output the load reads: the run's own file, or the published one when this run already published it. */
export async function openRunOutput(source: ObjectStore, manifest: Manifest): Promise<Readable | null> {
  try {
    return await source.get(manifest.outputKey);
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError)) throw error;
  }
  return (await publishedRunId(source)) === manifest.runId ? source.get(KEYS.output) : null;
}

/**
 * A run's rejects.csv while its files are kept (unfinished, failed or published run), else null.
 * A sharded run has one only once notify published it; before that (running, or failed) its
 * shards' rejects are joined here, header once, in shard order.
 */
export async function openRunRejects(source: ObjectStore, runId: string): Promise<Readable | null> {
  try {
    return await source.get(runOutputKeys(runId).rejects);
  } catch (error) {
    if (!(error instanceof ObjectNotFoundError)) throw error;
  }
  // The published run (a sharded one, or one from before the per-run layout) has the published file.
  if ((await publishedRunId(source)) === runId) {
    return source.get(KEYS.rejects).catch((error: unknown) => {
      if (error instanceof ObjectNotFoundError) return null;
      throw error;
    });
  }
  const parts = await shardRejectKeys(source, runId);
  return parts.length > 0 ? concatenated(source, parts, true) : null;
}

/** The rejects files of a run's shards (of its latest split, when discover ran again with another N), in shard order. */
async function shardRejectKeys(source: ObjectStore, runId: string): Promise<string[]> {
  const prefix = `${RUNS_PREFIX}${folderOf(runId)}/shard-`;
  const splits = new Map<number, { newest: number; parts: Array<{ index: number; carried: boolean; key: string }> }>();
  for await (const object of source.list(prefix)) {
    const match = /^(\d+)-of-(\d+)\/(rejects|unchanged-rejects)\.csv$/.exec(object.key.slice(prefix.length));
    if (!match) continue;
    const count = Number(match[2]);
    const split = splits.get(count) ?? { newest: 0, parts: [] };
    split.parts.push({ index: Number(match[1]), carried: match[3] === 'unchanged-rejects', key: object.key });
    split.newest = Math.max(split.newest, object.lastModified.getTime());
    splits.set(count, split);
  }
  const latest = [...splits.values()].sort((a, b) => b.newest - a.newest)[0];
  if (!latest) return [];
  return latest.parts.sort((a, b) => a.index - b.index || Number(a.carried) - Number(b.carried)).map((part) => part.key);
}

/** Called once the load committed: the run's files become the published ones. */
export async function publishRunOutput(context: PipelineContext, manifest: Manifest): Promise<void> {
  const { source } = context;
  // A manifest from before the per-run layout: its files are the published ones already.
  if (manifest.outputKey === KEYS.output) return;
  // A load run again after this run published: nothing left to switch.
  if (!(await source.head(manifest.outputKey)) && (await publishedRunId(source)) === manifest.runId) return;
  const carried = runOutputKeys(manifest.runId, manifest.shard);
  if (manifest.unchanged) {
    await source.put(KEYS.output, concatenated(source, [manifest.outputKey, carried.unchangedOutput], false), { contentType: 'text/csv' });
    await source.put(KEYS.rejects, concatenated(source, [manifest.rejectsKey, carried.unchangedRejects], true), { contentType: 'text/csv' });
  } else {
    await source.copy(manifest.outputKey, KEYS.output);
    await source.copy(manifest.rejectsKey, KEYS.rejects);
  }
  await putManifest(source, KEYS.manifest, { ...manifest, outputKey: KEYS.output, rejectsKey: KEYS.rejects }, manifest.files);
  if (manifest.unchanged) await source.delete(carried.unchangedOutput).catch(() => {});
  context.log.log('info', `load: published Output/ from ${manifest.outputKey.slice(0, manifest.outputKey.lastIndexOf('/') + 1)}`);
  // The published copy is the output now; the run keeps its rejects.csv for the download route.
  await source.delete(manifest.outputKey).catch((error: unknown) => context.log.log('warn', `load: could not remove ${manifest.outputKey}: ${messageOf(error)}`));
  await removeStaleOutputs(context);
}

/**
 * Called by notify once every shard of a sharded run loaded: Output/ gets the run's one output
 * (the shards' parts in shard order), its rejects and a manifest of the whole run, manifest last.
 * Done again after an interruption; a no-op once Output/ names this run.
 */
export async function publishShardedOutput(context: PipelineContext, manifests: readonly Manifest[]): Promise<void> {
  const { source } = context;
  if ((await publishedRunId(source)) === context.runId) return;
  const ordered = inShardOrder(manifests);
  // Each shard's rows, then its unchanged files' rows carried over.
  const carried = (manifest: Manifest): RunOutputKeys => runOutputKeys(manifest.runId, manifest.shard);
  const outputs = ordered.flatMap((manifest) => (manifest.unchanged ? [manifest.outputKey, carried(manifest).unchangedOutput] : [manifest.outputKey]));
  const rejects = ordered.flatMap((manifest) => (manifest.unchanged ? [manifest.rejectsKey, carried(manifest).unchangedRejects] : [manifest.rejectsKey]));
  await source.put(KEYS.output, concatenated(source, outputs, false), { contentType: 'text/csv' });
  await source.put(KEYS.rejects, concatenated(source, rejects, true), { contentType: 'text/csv' });
  const published = mergeManifests(ordered, { outputKey: KEYS.output, rejectsKey: KEYS.rejects });
  await putManifest(source, KEYS.manifest, published, published.files);
  context.log.log('info', `notify: published Output/ from the run's ${ordered.length} shards (${published.totals.rowsKept} rows)`);
  for (const manifest of ordered) {
    if (manifest.unchanged) await source.delete(carried(manifest).unchangedOutput).catch(() => {});
    await source.delete(manifest.outputKey).catch((error: unknown) => context.log.log('warn', `notify: could not remove ${manifest.outputKey}: ${messageOf(error)}`));
  }
  await removeStaleOutputs(context);
}

/**
 * The rows of a run's shards as one stream, in shard order, for a run whose shards load as one
 * (discover's `oneLoad`); null when a part is gone (a later run removed it).
 */
export async function openShardOutputs(source: ObjectStore, manifests: readonly Manifest[]): Promise<Readable | null> {
  const ordered = inShardOrder(manifests);
  for (const manifest of ordered) if (!(await source.head(manifest.outputKey))) return null;
  return concatenated(
    source,
    ordered.map((manifest) => manifest.outputKey),
    false,
  );
}

function inShardOrder(manifests: readonly Manifest[]): Manifest[] {
  return [...manifests].sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0));
}

/** Objects read one after another as one stream; `sameHeader`: each after the first loses its header line. */
function concatenated(source: ObjectStore, keys: readonly string[], sameHeader: boolean): Readable {
  return Readable.from(
    (async function* () {
      for (const [position, key] of keys.entries()) {
        let skipping = sameHeader && position > 0;
        for await (const chunk of await source.get(key)) {
          let bytes = chunk as Buffer;
          if (skipping) {
            const end = bytes.indexOf(10);
            if (end === -1) continue;
            bytes = bytes.subarray(end + 1);
            skipping = false;
          }
          if (bytes.length > 0) yield bytes;
        }
      }
    })(),
    { objectMode: false },
  );
}

/**
 * Removes other runs' folders under Output/runs/ once their run ended (notify recorded) or nothing
 * touched them for staleOutputAfterMs (a killed run), and interrupted writes as old under Output/.
 * The published run keeps its rejects.csv and manifest.json, a failed sharded run its shards'
 * files.json. Never fails the run: it only warns.
 */
export async function removeStaleOutputs(context: PipelineContext): Promise<void> {
  const { source } = context;
  const cutoff = new Date(Date.now() - (context.staleOutputAfterMs ?? DEFAULT_STALE_OUTPUT_MS));
  try {
    const own = folderOf(context.runId);
    const folders = new Map<string, { keys: string[]; newest: number }>();
    for await (const object of source.list(RUNS_PREFIX)) {
      const folder = object.key.slice(RUNS_PREFIX.length).split('/')[0]!;
      if (folder === own || !object.key.includes('/', RUNS_PREFIX.length)) continue;
      const entry = folders.get(folder) ?? { keys: [], newest: 0 };
      entry.keys.push(object.key);
      entry.newest = Math.max(entry.newest, object.lastModified.getTime());
      folders.set(folder, entry);
    }
    const published = folders.size > 0 ? await publishedRunId(source) : null;
    let removed = 0;
    for (const [folder, { keys, newest }] of folders) {
      const runId = runIdOf(folder);
      const records = runId === null ? [] : await context.results.list(runId);
      const ended = records.some((record) => record.step === 'notify');
      if (!ended && newest >= cutoff.getTime()) continue;
      const keep = runId !== null && runId === published ? new Set([runOutputKeys(runId).rejects, runOutputKeys(runId).manifest]) : new Set<string>();
      // A failed sharded run may be retried (panel Retry, Airflow clear): its shards' file lists
      // stay until a retry succeeds, since discover, which wrote them, is not run again.
      const retryable = records.some((record) => record.status === 'failed' && record.step !== 'notify');
      for (const key of keys) {
        if (keep.has(key) || (retryable && key.endsWith('/files.json'))) continue;
        await source.delete(key);
        removed += 1;
      }
    }
    const interrupted = await source.removeInterruptedWrites('Output/', cutoff);
    if (removed + interrupted > 0) {
      context.log.log('info', `cleanup: removed ${removed} files of earlier runs and ${interrupted} interrupted writes under Output/`);
    }
  } catch (error) {
    context.log.log('warn', `cleanup: could not clean Output/: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
