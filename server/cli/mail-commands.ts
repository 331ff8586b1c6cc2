import { parseArgs } from 'node:util';

import { z } from 'zod';

import { resendNotification } from '../notifications/resend';
import { outboxHistory } from '../read-models/notifications';
import { type Command, UsageError } from './shared';

const idSchema = z.string({ message: 'mail resend needs an outbox id (see: stockflow mail list)' }).regex(/^\d{1,18}$/, 'an outbox id is a number');

/** `stockflow mail list [--failed]` and `stockflow mail resend ID`: the outbox from a terminal. */
export const mailCommands: Record<string, Command> = {
  async mail(args, services) {
    const [action, ...rest] = args;
    if (action === 'list') {
      const { values } = parseArgs({ args: rest, options: { failed: { type: 'boolean', default: false }, limit: { type: 'string' } } });
      const limit = z.coerce
        .number()
        .int()
        .min(1)
        .max(500)
        .parse(values.limit ?? '50');
      const opened = await services();
      const entries = (await outboxHistory(opened.pool, limit)).filter((entry) => !values.failed || entry.status === 'failed');
      for (const entry of entries) {
        process.stdout.write(
          `#${entry.id}  ${entry.createdAt}  ${entry.status.padEnd(7)} ${entry.channel.padEnd(6)} ${entry.attempts} tries  ${entry.subject}${entry.lastError ? `  (${entry.lastError})` : ''}\n`,
        );
      }
      if (entries.length === 0) process.stdout.write(values.failed ? 'No failed mail.\n' : 'The outbox is empty.\n');
      return 0;
    }
    if (action === 'resend') {
      const id = idSchema.parse(rest[0]);
      const opened = await services();
      const result = await resendNotification(opened.pool, opened.mailChannel, id);
      if (result.outcome === 'not-failed') {
        process.stderr.write(`Outbox #${id} is not a failed mail (only failed mail is resent).\n`);
        return 1;
      }
      if (result.outcome === 'sent') process.stdout.write(`Outbox #${id} sent (${result.deliveryId}).\n`);
      else process.stdout.write(`Outbox #${id} is pending again and retried for 24 h${result.error ? `: ${result.error}` : ''}.\n`);
      return 0;
    }
    throw new UsageError('usage: stockflow mail list [--failed] | stockflow mail resend ID');
  },
};
