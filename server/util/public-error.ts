import { randomBytes } from 'node:crypto';

import { redactUrls } from './redact';

/**
 * The one contract for what reaches a user. An error whose message was written for them (a missing
 * role, a run in the wrong state, an EC2 permission the credentials lack) is a UserFacingError, or
 * carries `expose = true` as the older port errors do. Anything else, a database or AWS error
 * above all, stays in the server log (its text may name tables, hosts or keys) and the user gets a
 * generic sentence with a reference that finds the log line.
 *
 * The check is by the `expose` flag and the class name, never `instanceof`: Next bundles server
 * code per entry (page, action, route), so one class can exist twice in a process.
 */
export interface Exposable {
  readonly expose: true;
}

export class UserFacingError extends Error {
  readonly expose = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserFacingError';
  }
}

export function isUserFacing(error: unknown): error is Error & Exposable {
  if (!(error instanceof Error)) return false;
  return (error as Partial<Exposable>).expose === true || error.name === 'UserFacingError';
}

/** @deprecated the old name of isUserFacing, kept while callers move over. */
export const isExposable = isUserFacing;

export type ErrorLog = (line: string) => void;

const consoleLog: ErrorLog = (line) => console.error(line);

/** A short id shown to the user and written beside the details in the log. */
export function newErrorReference(): string {
  return randomBytes(4).toString('hex');
}

export interface PublicError {
  message: string;
  /** Set when the details went to the log instead of to the user. */
  reference: string | null;
}

/** Splits an error into what the user may read and what only the log may: the one place that decides. */
export function toPublicError(error: unknown, fallback: string, log: ErrorLog = consoleLog): PublicError {
  if (isUserFacing(error)) return { message: error.message, reference: null };
  const reference = newErrorReference();
  const detail = error instanceof Error ? `${error.name}: ${error.message}${error.stack ? `\n${error.stack.split('\n').slice(1).join('\n')}` : ''}` : String(error);
  log(`[error ${reference}] ${fallback} ${redactUrls(detail)}`);
  return { message: `${fallback} Reference ${reference}: the details are in the server log.`, reference };
}

/** What a server action may tell the browser about an error; the rest is logged with a reference. */
export function publicErrorMessage(error: unknown, fallback: string, log: ErrorLog = consoleLog): string {
  return toPublicError(error, fallback, log).message;
}

interface ZodLikeError extends Error {
  issues: Array<{ path: PropertyKey[]; message: string }>;
}

/** A zod validation error (by name, for the same reason as above): the caller's input was wrong. */
export function isZodError(error: unknown): error is ZodLikeError {
  return error instanceof Error && error.name === 'ZodError' && Array.isArray((error as Partial<ZodLikeError>).issues);
}

/** The first issue of a zod error as one sentence, naming the field when there is one. */
export function firstIssue(error: ZodLikeError): string {
  const issue = error.issues[0];
  if (!issue) return 'The input is not valid.';
  const field = issue.path.map(String).join('.');
  return field ? `${field}: ${issue.message}` : issue.message;
}
