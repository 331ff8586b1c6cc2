import type { PrepareOptions, ReplaceSession } from '../ports/stock-table';
import type { PipelineContext } from './context';
import { deferredReplace } from './deferred-replace';
import { type DiscoveryResult, estimatedRowsOf } from './discover';
import { load, scopeOf } from './load';
import { recordStep, runStep } from './steps';
import { type RunSummary, summarizeRun } from './summary';
import { type FileReport, type Manifest, transform } from './transform';
import { appendedCompaniesOf, loadedFilesOf, newRowsOf, rowsToLoadOf, TRANSFORM_VERSION } from './unchanged-files';

/**
 * All steps in one process. Transform streams its output straight into the load's COPY as well
 * as into the output file, so reading files and loading rows overlap (see BENCHMARKS.md); the
 * load's transaction opens with the first complete file's rows (deferred-replace.ts). The steps
 * are still recorded one by one. A failed data step stops the run, but notify still runs
 * so the failure is reported; a failed notification never changes the run's own outcome.
 */
export async function runPipeline(context: PipelineContext): Promise<RunSummary> {
  try {
    const discovery = (await runStep(context, 'discover')).result as DiscoveryResult;
    await transformAndLoad(context, discovery);
  } catch {
    // Recorded by the step that failed.
  }
  try {
    await runStep(context, 'notify');
  } catch {
    // Recorded by runStep; the data steps' outcome stands.
  }
  return summarizeRun(context.runId, await context.results.list(context.runId));
}

async function transformAndLoad(context: PipelineContext, discovery: DiscoveryResult): Promise<void> {
  // Files that may only have gained rows count by their new bytes, and the load is opened for that.
  const estimatedRows = estimatedRowsOf(discovery.files);
  const mayRebuildInstead = await rebuildIfNoAppends(context, discovery, estimatedRows);
  const session = deferredReplace(
    context.stocks,
    discovery.files.map((file) => file.company),
    {
      estimatedRows,
      scope: scopeOf(discovery),
      // Only when every file is read is the streamed session committed (see below): these are its files.
      source: { runId: context.runId, files: discovery.files.flatMap((file) => (file.etag === undefined ? [] : [{ ...file, etag: file.etag, transformVersion: TRANSFORM_VERSION }])) },
    },
  );
  // Every file read: the load starts its index builds while the output file is completed. Their
  // phases go to the log of the step running at the time: the transform's, then the load's.
  let phaseLog = context.log;
  let rebuildInstead = Promise.resolve(false);
  const allRowsWritten = (reports: readonly FileReport[]): void => {
    const read = reports.filter((report) => report.status !== 'failed');
    if (read.length !== discovery.files.length) return;
    const rows = rowsToLoadOf(read);
    rebuildInstead = mayRebuildInstead ? context.stocks.wouldRebuild(rows).catch(() => false) : Promise.resolve(false);
    void rebuildInstead.then((rebuild) => {
      if (!rebuild) session.prepare(rows, { onPhase: (phase) => phaseLog.log('info', `load: ${phase}`), ...rowsOf(read) });
    });
  };
  let manifest: Manifest;
  try {
    manifest = (
      await recordStep(context, 'transform', (stepContext) => {
        phaseLog = stepContext.log;
        return transform(stepContext, discovery, { rows: session.rows, allRowsWritten });
      })
    ).result as Manifest;
  } catch (error) {
    await session.abort();
    throw error;
  }
  const everyFileRead = manifest.companies.length === discovery.files.length;
  const rebuild = await rebuildInstead;
  await recordStep(context, 'load', async (stepContext) => {
    phaseLog = stepContext.log;
    if (everyFileRead && !rebuild) return load(stepContext, manifest, { streamed: withRowsByCompany(session, manifest) });
    // A company whose file was not a stock file must keep its rows, but the streamed session
    // already deleted them; files expected to have only gained rows that had not leave too many
    // rows for the session's way of loading: roll it back and load the output file the ordinary way.
    if (rebuild) stepContext.log.log('info', 'load: files that were expected to have only gained rows had changed: loading the output file on the bulk path');
    await session.abort();
    return load(stepContext, manifest);
  });
}

/**
 * Whether the load was opened incrementally only because files may have gained rows: if they
 * turn out changed otherwise (a vendor re-issuing history), their rows would rebuild the table,
 * and the incremental way would write millions of rows into its indexes one by one.
 */
async function rebuildIfNoAppends(context: PipelineContext, discovery: DiscoveryResult, estimatedRows: number): Promise<boolean> {
  if (!discovery.files.some((file) => file.loaded)) return false;
  const wholeFiles = estimatedRowsOf(discovery.files.map((file) => ({ ...file, loaded: undefined })));
  return !(await context.stocks.wouldRebuild(estimatedRows)) && (await context.stocks.wouldRebuild(wholeFiles));
}

/** The session, committing with what the transform found per company (a first load then needs no count of its own). */
function withRowsByCompany(session: ReplaceSession, manifest: Manifest): ReplaceSession {
  const rows = rowsOf(manifest.files.filter((file) => file.status !== 'failed' && !file.unchanged));
  return { ...session, commit: (expectedRows, options) => session.commit(expectedRows, { ...options, ...rows }) };
}

/** The rows each company sends, the appended companies, and the files as read (with their SHA-256, for the next run's append check). */
function rowsOf(reports: readonly FileReport[]): Pick<PrepareOptions, 'rowsByCompany' | 'appended' | 'files'> {
  return {
    rowsByCompany: new Map(reports.map((report) => [report.company, newRowsOf(report)])),
    appended: appendedCompaniesOf(reports),
    files: loadedFilesOf(reports),
  };
}

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `run_${stamp}_${Math.random().toString(36).slice(2, 8)}`;
}
