import type { LoadResult, ReplaceSession } from '../ports/stock-table';
import { StepInputError, type PipelineContext } from './context';
import type { Manifest } from './transform';

/**
 * Step 3: replace the batch's companies in historical_stocks_data with the output, in one
 * transaction. Reads the output file back, unless the rows were already streamed into `streamed`.
 */
export async function load(context: PipelineContext, manifest: Manifest, streamed?: ReplaceSession): Promise<LoadResult> {
  if (manifest.runId !== context.runId) {
    throw new StepInputError(`The transform result belongs to run ${manifest.runId}, not ${context.runId}`);
  }
  const expectedRows = manifest.totals.rowsKept;
  context.signal?.throwIfAborted();
  context.onProgress?.({ step: 'load', done: 0, total: expectedRows, rows: 0 });
  const result = streamed
    ? await streamed.commit(expectedRows, context.signal)
    : await context.stocks.replaceCompanies({ companies: manifest.companies, rows: await context.source.get(manifest.outputKey), expectedRows, signal: context.signal });
  context.onProgress?.({ step: 'load', done: result.rowsLoaded, total: expectedRows, rows: result.rowsLoaded });
  context.log.log(
    'info',
    `load: ${result.rowsLoaded} rows loaded for ${result.companies} companies (${result.rowsReplaced} earlier rows replaced; ${result.strategy} load)`,
  );
  return result;
}
