import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { notificationSubject } from './subject';

describe('notificationSubject', () => {
  const identity = { cohort: 'C12', firstName: 'Ada', surname: 'Lovelace' };

  it('follows <Cohort>_<First>_<Last>_Pipeline_Success|Failure', () => {
    assert.equal(notificationSubject(identity, 'success'), 'C12_Ada_Lovelace_Pipeline_Success');
    assert.equal(notificationSubject(identity, 'failure'), 'C12_Ada_Lovelace_Pipeline_Failure');
  });

  it('refuses non-ASCII and subjects of 100 characters or more', () => {
    assert.throws(() => notificationSubject({ ...identity, surname: 'Lövelace' }, 'success'), /ASCII/);
    assert.throws(() => notificationSubject({ ...identity, cohort: 'x'.repeat(80) }, 'success'), /under 100/);
  });
});
