import type { Logger, LogLevel } from '../ports/logger';

/** Logs to stderr, so stdout stays clean for --json output. */
export function consoleLogger(minimum: LogLevel = 'info', beforeWrite?: () => void): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  return {
    log(level, message) {
      if (order.indexOf(level) < order.indexOf(minimum)) return;
      beforeWrite?.();
      process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    },
  };
}
