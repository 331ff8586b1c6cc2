import type { LoadResult } from '../ports/stock-table';
import { StepInputError, type PipelineContext } from './context';
import type { Manifest } from './transform';

/** Step 3: replace the batch's companies in historical_stocks_data with the output, in one transaction. */
export async function load(context: PipelineContext, manifest: Manifest): Promise<LoadResult> {
  if (manifest.runId !== context.runId) {
    throw new StepInputError(`The transform result belongs to run ${manifest.runId}, not ${context.runId}`);
  }
  const rows = await context.source.get(manifest.outputKey);
  context.onProgress?.({ step: 'load', done: 0, total: manifest.totals.rowsKept, rows: 0 });
  const result = await context.stocks.replaceCompanies({
    companies: manifest.companies,
    rows,
    expectedRows: manifest.totals.rowsKept,
  });
  context.onProgress?.({ step: 'load', done: result.rowsLoaded, total: manifest.totals.rowsKept, rows: result.rowsLoaded });
  context.log.log(
    'info',
    `load: ${result.rowsLoaded} rows loaded for ${result.companies} companies (${result.rowsReplaced} earlier rows replaced)`,
  );
  return result;
}
