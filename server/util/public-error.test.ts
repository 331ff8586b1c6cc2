import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunStateError } from '../ports/orchestrator';
import { publicErrorMessage } from './public-error';

describe('publicErrorMessage', () => {
  it('passes messages written for operators and keeps database or AWS text in the log', () => {
    const logged: string[] = [];
    const log = (line: string): void => void logged.push(line);
    assert.equal(publicErrorMessage(new RunStateError('Run r1 has already finished (success)'), 'Could not cancel.', log), 'Run r1 has already finished (success)');
    const database = Object.assign(new Error('relation "stockflow.runs" does not exist'), { code: '42P01' });
    const shown = publicErrorMessage(database, 'Could not cancel.', log);
    assert.equal(shown, 'Could not cancel. The details are in the server log.');
    assert.doesNotMatch(shown, /relation|stockflow\.runs/);
    assert.match(logged.at(-1)!, /relation "stockflow.runs" does not exist/);
    publicErrorMessage(new Error('connect postgres://u:pw@db/x refused'), 'Failed.', log);
    assert.doesNotMatch(logged.at(-1)!, /pw@/);
  });
});
