export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where pipeline steps say what they do; the CLI prints it, the runner stores it as task logs. */
export interface Logger {
  log(level: LogLevel, message: string): void;
}

export const silentLogger: Logger = { log: () => {} };
