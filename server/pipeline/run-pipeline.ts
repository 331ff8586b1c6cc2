import type { ReplaceSession } from '../ports/stock-table';
import type { PipelineContext } from './context';
import { deferredReplace } from './deferred-replace';
import { type DiscoveryResult, estimatedRowsOf } from './discover';
import { load, scopeOf } from './load';
import { recordStep, runStep } from './steps';
import { type RunSummary, summarizeRun } from './summary';
import { type FileReport, type Manifest, transform } from './transform';
import { TRANSFORM_VERSION } from './unchanged-files';

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
  const estimatedRows = estimatedRowsOf(discovery.files);
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
  const allRowsWritten = (reports: readonly FileReport[]): void => {
    const read = reports.filter((report) => report.status !== 'failed');
    if (read.length !== discovery.files.length) return;
    const rowsKept = read.reduce((total, report) => total + report.rowsKept, 0);
    session.prepare(rowsKept, { onPhase: (phase) => phaseLog.log('info', `load: ${phase}`), rowsByCompany: rowsByCompanyOf(read) });
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
  await recordStep(context, 'load', async (stepContext) => {
    phaseLog = stepContext.log;
    if (everyFileRead) return load(stepContext, manifest, { streamed: withRowsByCompany(session, manifest) });
    // A company whose file was not a stock file must keep its rows, but the streamed session
    // already deleted them: roll it back and load the output file the ordinary way.
    await session.abort();
    return load(stepContext, manifest);
  });
}

/** The session, committing with the transform's rows per company (a first load then needs no count of its own). */
function withRowsByCompany(session: ReplaceSession, manifest: Manifest): ReplaceSession {
  const rowsByCompany = rowsByCompanyOf(manifest.files.filter((file) => file.status !== 'failed'));
  return { ...session, commit: (expectedRows, options) => session.commit(expectedRows, { ...options, rowsByCompany }) };
}

function rowsByCompanyOf(reports: readonly FileReport[]): Map<string, number> {
  return new Map(reports.map((report) => [report.company, report.rowsKept]));
}

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `run_${stamp}_${Math.random().toString(36).slice(2, 8)}`;
}
