import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

import type { AppendedCompanies, LoadResult, ReplaceScope, ReplaceSession } from '../ports/stock-table';
import { type PipelineContext, StepInputError } from './context';
import { openRunOutput, openShardOutputs, publishRunOutput } from './output-layout';
import { formatShard, isWholeRun, type Shard } from './shard';
import type { Manifest } from './transform';
import { appendedCompaniesOf, loadedFilesOf, rowsToLoadOf } from './unchanged-files';

/** Where a load's rows come from when it does not read the run's output file back. */
export interface LoadRows {
  /** The rows were streamed into this session already (`stockflow run`). */
  streamed?: ReplaceSession;
  /** The shards' manifests of a run whose shards load as one (`manifest` merges them): their outputs, in shard order. */
  parts?: readonly Manifest[];
}

/**
 * Step 3: replace the batch's companies in historical_stocks_data with the output, in one
 * transaction. Reads the output file back, unless `rows` says otherwise. Once committed, the
 * run's files become the published Output/ ones (a sharded run's, parts included: by notify).
 */
export async function load(context: PipelineContext, manifest: Manifest, { streamed, parts }: LoadRows = {}): Promise<LoadResult> {
  if (manifest.runId !== context.runId) {
    throw new StepInputError(`The transform result belongs to run ${manifest.runId}, not ${context.runId}`);
  }
  const sharded = !isWholeRun(manifest.shard) || parts !== undefined;
  // An appended file's rows the table holds already are in the output but not loaded again.
  const expectedRows = rowsToLoadOf(manifest.files);
  const appended = appendedCompaniesOf(manifest.files);
  context.signal?.throwIfAborted();
  context.onProgress?.({ step: 'load', done: 0, total: expectedRows, rows: 0 });
  let result: LoadResult;
  const onPhase = (phase: string): void => context.log.log('info', `load: ${phase}`);
  // A whole run's output is published once the rows are committed, beside the table's VACUUM and
  // ANALYZE (a copy of the output on S3 and a VACUUM on a large table each take seconds). A
  // sharded run's Output/ is published by notify once every shard has loaded.
  let publishError: unknown = null;
  const afterCommit = sharded
    ? undefined
    : (): Promise<void> =>
        publishRunOutput(context, manifest).catch((error: unknown) => {
          publishError = error;
        });
  if (streamed) {
    result = await streamed.commit(expectedRows, { signal: context.signal, onPhase, afterCommit });
  } else {
    // Opened before the load's transaction: the table is locked only once the rows are coming.
    const rows = await (parts ? openShardOutputs(context.source, parts) : openRunOutput(context.source, manifest));
    if (!rows) {
      const what = parts ? `A shard's output of run ${manifest.runId}` : `The output of run ${manifest.runId} (${manifest.outputKey})`;
      throw new StepInputError(`${what} is gone: a later run removed it; start a new run`);
    }
    const newRows = appended.size === 0 ? rows : rows.pipe(withoutRowsLoadedBefore(appended));
    if (newRows !== rows) rows.on('error', (error) => newRows.destroy(error));
    const counted = newRows.pipe(countRows((copied) => context.onProgress?.({ step: 'load', done: copied, total: expectedRows, rows: copied })));
    newRows.on('error', (error) => counted.destroy(error));
    result = await context.stocks.replaceCompanies({
      companies: manifest.companies,
      rows: counted,
      expectedRows,
      signal: context.signal,
      onPhase,
      afterCommit,
      scope: scopeOf(manifest),
      source: { runId: context.runId, files: loadedFilesOf(manifest.files) },
      appended,
    });
  }
  context.onProgress?.({ step: 'load', done: result.rowsLoaded, total: expectedRows, rows: result.rowsLoaded });
  const written = result.rowsWritten === undefined ? '' : `, ${result.rowsWritten} rows written`;
  context.log.log(
    'info',
    `load: ${result.rowsLoaded} rows loaded for ${result.companies} companies (${result.rowsReplaced} earlier rows replaced; ${result.strategy} load${written}, mode ${result.mode})`,
  );
  const { totals } = result.changes;
  context.log.log(
    'info',
    `load: compared with the table before: ${totals.added} rows added, ${totals.changed} changed, ${totals.removed} removed, ${totals.unchanged} unchanged` +
      (result.companiesRemoved > 0 ? `; ${result.companiesRemoved} companies outside the batch removed` : ''),
  );
  if (sharded) {
    const committed = parts ? `the rows of all ${parts.length} shards` : `shard ${formatShard(manifest.shard!)}`;
    context.log.log('info', `load: ${committed} committed; Output/ is published when every shard has loaded`);
    return result;
  }
  if (publishError !== null) {
    // The rows are committed (loading again is harmless: it replaces the same companies identically).
    throw new Error(`the rows were loaded, but publishing Output/ failed: ${publishError instanceof Error ? publishError.message : String(publishError)}`, { cause: publishError });
  }
  return result;
}

/** What the load replaces besides the batch, as fixed by the run's discover step. */
export function scopeOf(manifest: Pick<Manifest, 'demo' | 'loadMode'> & { shard?: Shard }): ReplaceScope {
  const scope: ReplaceScope = { mode: manifest.loadMode ?? 'companies', demo: manifest.demo ?? false };
  return isWholeRun(manifest.shard) ? scope : { ...scope, shard: manifest.shard };
}

/**
 * Drops each appended company's first rows (those the table holds already) from the output CSV.
 * A file's rows are written together and in order, so they are its company's first rows here.
 */
function withoutRowsLoadedBefore(appended: AppendedCompanies): Transform {
  const seen = new Map<string, number>();
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const keep = (lines: string[]): string => {
    let kept = '';
    for (const line of lines) {
      const company = line.slice(line.lastIndexOf(',') + 1);
      const before = appended.get(company)?.rowsBefore;
      if (before !== undefined) {
        const count = (seen.get(company) ?? 0) + 1;
        seen.set(company, count);
        if (count <= before) continue;
      }
      kept += `${line}\n`;
    }
    return kept;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const lines = (partial + decoder.write(chunk)).split('\n');
      partial = lines.pop()!;
      callback(null, keep(lines));
    },
    flush(callback) {
      partial += decoder.end();
      callback(null, partial ? keep([partial]) : '');
    },
  });
}

/** Passes the output CSV through, reporting how many rows went by (one line is one row): load progress. */
function countRows(report: (rows: number) => void): Transform {
  let rows = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) rows += 1;
      report(rows);
      callback(null, chunk);
    },
  });
}
