import { redactUrls } from './redact';

/**
 * Errors whose message was written for operators (a missing role, a run in the wrong state, an
 * EC2 permission the credentials lack) carry `expose = true`. Anything else, a database or AWS
 * error above all, stays in the server log: its text may name tables, hosts or keys.
 */
export interface Exposable {
  readonly expose: true;
}

export function isExposable(error: unknown): error is Error & Exposable {
  return error instanceof Error && (error as Partial<Exposable>).expose === true;
}

/** What a server action may tell the browser about an error; the rest is logged here. */
export function publicErrorMessage(error: unknown, fallback: string, log: (line: string) => void = (line) => console.error(line)): string {
  if (isExposable(error)) return error.message;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  log(`${fallback} ${redactUrls(detail)}`);
  return `${fallback} The details are in the server log.`;
}
