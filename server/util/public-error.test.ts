import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { z } from 'zod';

import { RunStateError } from '../ports/orchestrator';
import { firstIssue, isUserFacing, isZodError, publicErrorMessage, toPublicError, UserFacingError } from './public-error';

describe('the user-facing error contract', () => {
  it('passes messages written for users and keeps database or AWS text in the log, under a reference', () => {
    const logged: string[] = [];
    const log = (line: string): void => void logged.push(line);
    assert.equal(publicErrorMessage(new RunStateError('Run r1 has already finished (success)'), 'Could not cancel.', log), 'Run r1 has already finished (success)');
    assert.equal(publicErrorMessage(new UserFacingError('Pick a topic first.'), 'Could not cancel.', log), 'Pick a topic first.');
    assert.equal(logged.length, 0, 'user-facing errors are not logged as failures');
    const database = Object.assign(new Error('relation "stockflow.runs" does not exist'), { code: '42P01' });
    const shown = toPublicError(database, 'Could not cancel.', log);
    assert.match(shown.reference ?? '', /^[0-9a-f]{8}$/);
    assert.equal(shown.message, `Could not cancel. Reference ${shown.reference}: the details are in the server log.`);
    assert.doesNotMatch(shown.message, /relation|stockflow\.runs/);
    assert.match(logged.at(-1)!, new RegExp(`^\\[error ${shown.reference}\\] Could not cancel\\. Error: relation "stockflow.runs" does not exist`));
    publicErrorMessage(new Error('connect postgres://u:pw@db/x refused'), 'Failed.', log);
    assert.doesNotMatch(logged.at(-1)!, /pw@/);
    assert.notEqual(toPublicError(new Error('a'), 'F.', log).reference, toPublicError(new Error('a'), 'F.', log).reference, 'every failure gets its own reference');
  });

  it('recognises a user-facing error from another copy of the class (Next bundles code per entry)', () => {
    // A look-alike built without this module's class, as a second bundled copy would be.
    class UserFacingError extends Error {
      constructor(message: string) {
        super(message);
        this.name = 'UserFacingError';
      }
    }
    assert.equal(isUserFacing(new UserFacingError('Shown.')), true);
    assert.equal(isUserFacing(new Error('Hidden.')), false);
    assert.equal(isUserFacing({ expose: true, message: 'not an Error' }), false);
  });

  it('names the field of the first zod issue', () => {
    const result = z.object({ runId: z.string().regex(/^\w+$/, 'letters and digits only') }).safeParse({ runId: 'a b' });
    assert.equal(result.success, false);
    assert.equal(isZodError(result.error), true);
    assert.equal(firstIssue(result.error!), 'runId: letters and digits only');
    assert.equal(isZodError(new Error('x')), false);
  });
});
