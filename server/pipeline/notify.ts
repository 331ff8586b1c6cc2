import type { DeliveryReceipt } from '../ports/notifier';
import type { PipelineContext } from './context';
import { notificationSubject } from './subject';
import { summarizeRun, type RunSummary } from './summary';

export interface NotifyResult {
  outcome: 'success' | 'failure';
  subject: string;
  receipt: DeliveryReceipt;
}

/** Step 4: mail the run's outcome; the outcome comes from the recorded steps, never from this step. */
export async function notify(context: PipelineContext): Promise<NotifyResult> {
  const summary = summarizeRun(context.runId, await context.results.list(context.runId));
  const outcome = summary.status === 'success' ? 'success' : 'failure';
  const identity = (await context.resolveIdentity?.()) ?? context.identity;
  const subject = notificationSubject(identity, outcome);
  const receipt = await context.notifier.send({ runId: context.runId, outcome, subject, body: notificationBody(summary) });
  context.log.log('info', `notify: ${subject} sent via ${receipt.channel} (${receipt.id})`);
  return { outcome, subject, receipt };
}

export function notificationBody(summary: RunSummary): string {
  const lines = [
    `stockflow run ${summary.runId}: ${summary.status === 'success' ? 'succeeded' : 'FAILED'}`,
    '',
    `Files:     ${summary.files.listed} listed, ${summary.files.found} found, ${summary.files.missing} missing, ${summary.files.empty} empty, ${summary.files.failed} unreadable`,
    `Rows:      ${summary.rows.read} read, ${summary.rows.loaded} loaded, ${summary.rows.rejected} rejected`,
    `Companies: ${summary.companies} loaded`,
    `Duration:  ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  if (summary.warnings > 0) lines.push(`Warnings:  ${summary.warnings} rows with Open = 0 (no daily percent change)`);
  if (summary.error) lines.push('', `Error in step ${summary.error.step}: ${summary.error.message}`);
  if (summary.firstRejects.length > 0) {
    lines.push('', 'First rejected rows:');
    for (const reject of summary.firstRejects.slice(0, 10)) lines.push(`  ${reject.file}:${reject.line}: ${reject.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
