import type { ProgressEvent } from '../pipeline/context';

/** A one-line progress bar on a terminal (files done/total, rows, rows/s); silent elsewhere. */
export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): { update(event: ProgressEvent): void; done(): void } {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  const startedAt = Date.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(event) {
      const now = Date.now();
      if (now - lastDraw < 100 && event.done < event.total) return;
      lastDraw = now;
      const width = 30;
      const ratio = event.total > 0 ? Math.min(1, event.done / event.total) : 0;
      const filled = Math.round(ratio * width);
      const seconds = Math.max((now - startedAt) / 1000, 0.001);
      const unit = event.step === 'load' ? 'rows' : 'files';
      const text =
        `${event.step.padEnd(9)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${event.done}/${event.total} ${unit}, ` +
        `${event.rows.toLocaleString('en-US')} rows, ${Math.round(event.rows / seconds).toLocaleString('en-US')} rows/s`;
      stream.write(`\r${text.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
