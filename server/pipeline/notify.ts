import type { DeliveryReceipt } from '../ports/notifier';
import type { StepRecord } from '../ports/step-results';
import type { PipelineContext } from './context';
import type { DiscoveryResult } from './discover';
import { publishShardedOutput } from './output-layout';
import { shardedStep } from './shard-merge';
import { notificationSubject } from './subject';
import { resultOf, type RunSummary, summarizeRun } from './summary';
import type { Manifest } from './transform';

export interface NotifyResult {
  outcome: 'success' | 'failure';
  subject: string;
  receipt: DeliveryReceipt;
}

/**
 * Step 4: mail the run's outcome; the outcome comes from the recorded steps, never from this step.
 * The mail is delivered before the step ends; one the channel did not accept fails the step (its
 * engine runs it again, which retries the same message: the dedupe key names this outcome of
 * these data steps, so a re-run never mails twice, while a retried run's new outcome is new news).
 */
export async function notify(context: PipelineContext): Promise<NotifyResult> {
  const records = await context.results.list(context.runId);
  const summary = summarizeRun(context.runId, records);
  // A sharded run's Output/ is put together before the mail; the mail goes even when that failed.
  const publishError = await publishIfSharded(context, records, summary).then(
    () => null,
    (error: unknown) => error,
  );
  const outcome = summary.status === 'success' ? 'success' : 'failure';
  const identity = (await context.resolveIdentity?.()) ?? context.identity;
  const subject = notificationSubject(identity, outcome);
  const lastDataStep =
    records
      .filter((record) => record.step !== 'notify')
      .map((record) => record.finishedAt)
      .sort()
      .at(-1) ?? 'none';
  const receipt = await context.notifier.send({
    runId: context.runId,
    outcome,
    subject,
    body: notificationBody(summary),
    dedupeKey: `${context.runId}:${outcome}:${lastDataStep}`,
  });
  if (!receipt.delivered) {
    context.log.log('warn', `notify: ${subject} not delivered via ${receipt.channel} yet (outbox #${receipt.id}): ${receipt.error ?? 'unknown error'}`);
    throw new NotificationNotDeliveredError(subject, receipt.channel, receipt.error);
  }
  context.log.log('info', `notify: ${subject} sent via ${receipt.channel} (outbox #${receipt.id}${receipt.deliveryId ? `, message ${receipt.deliveryId}` : ''})`);
  if (publishError) {
    // The rows are committed and the mail went; a retried notify publishes again (and does not mail twice: dedupe key).
    throw new Error(`the shards loaded, but publishing Output/ failed: ${publishError instanceof Error ? publishError.message : String(publishError)}`, { cause: publishError });
  }
  return { outcome, subject, receipt };
}

/** A sharded run's loads each committed their companies; its one Output/ is put together here. */
async function publishIfSharded(context: PipelineContext, records: StepRecord[], summary: RunSummary): Promise<void> {
  const shards = resultOf<DiscoveryResult>(records, 'discover')?.shards ?? 1;
  if (summary.status !== 'success' || shards <= 1 || resultOf(records, 'load')) return;
  const transforms = shardedStep<Manifest>(records, 'transform', shards);
  if (transforms.status !== 'success') return;
  await publishShardedOutput(context, transforms.results);
}

export class NotificationNotDeliveredError extends Error {
  constructor(subject: string, channel: string, reason: string | null) {
    super(`${subject} was not accepted by ${channel}: ${reason ?? 'unknown error'} (kept in the outbox; delivery is retried)`);
    this.name = 'NotificationNotDeliveredError';
  }
}

const LOAD_MODE_TEXT: Record<RunSummary['loadMode'], string> = {
  companies: "companies (the listed companies' rows replaced, others kept)",
  replace: 'replace (the table holds exactly this batch)',
};
// The most-changed companies a mail names; the run page lists them all.
const MAILED_COMPANY_CHANGES = 25;

/** The table before and after the load, as the mail tells it. */
function changeLines(summary: RunSummary): string[] {
  const { changes } = summary;
  if (!changes) return [];
  const { totals } = changes;
  const lines = [
    '',
    `Changes compared with the table before this run: ${totals.added} rows added, ${totals.changed} changed, ${totals.removed} removed, ${totals.unchanged} unchanged`,
    `  ${totals.companiesAdded} companies new, ${totals.companiesRemoved} companies removed${summary.companiesRemoved > 0 ? ` (${summary.companiesRemoved} outside this batch)` : ''}`,
  ];
  if (changes.companies.length === 0) return [...lines, "  No company's rows changed."];
  lines.push('  company        added  changed  removed');
  for (const change of changes.companies.slice(0, MAILED_COMPANY_CHANGES)) {
    lines.push(`  ${change.company.padEnd(12)} ${String(change.added).padStart(7)} ${String(change.changed).padStart(8)} ${String(change.removed).padStart(8)}`);
  }
  const more = changes.companies.length - MAILED_COMPANY_CHANGES + changes.moreCompanies;
  if (more > 0) lines.push(`  and ${more} more companies with changes (see the run page)`);
  return lines;
}

export function notificationBody(summary: RunSummary): string {
  const lines = [
    `stockflow run ${summary.runId}: ${summary.status === 'success' ? 'succeeded' : 'FAILED'}`,
    '',
    `Files:     ${summary.files.listed} listed, ${summary.files.found} found, ${summary.files.missing} missing, ${summary.files.empty} empty, ${summary.files.failed} not stock files (wrong header)` +
      (summary.files.unchanged > 0 ? `, ${summary.files.unchanged} unchanged since loaded (not read again)` : '') +
      (summary.files.appended > 0 ? `, ${summary.files.appended} only gained rows since loaded (only the new rows loaded)` : ''),
    `Rows:      ${summary.rows.read} read, ${summary.rows.loaded} loaded, ${summary.rows.rejected} rejected`,
    `Companies: ${summary.companies} loaded`,
    `Load mode: ${LOAD_MODE_TEXT[summary.loadMode]}`,
    `Duration:  ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  if (summary.demo) lines.push('Data:      synthetic demo data (seed --from replaces it)');
  lines.push(...changeLines(summary));
  if (summary.warnings > 0) lines.push(`Warnings:  ${summary.warnings} rows with Open = 0 (no daily percent change)`);
  if (summary.error) lines.push('', `Error in step ${summary.error.step}: ${summary.error.message}`);
  if (summary.firstRejects.length > 0) {
    lines.push('', 'First rejected rows:');
    for (const reject of summary.firstRejects.slice(0, 10)) lines.push(`  ${reject.file}:${reject.line}: ${reject.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
