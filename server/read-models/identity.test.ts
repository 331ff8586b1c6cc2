import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { notificationSubject } from '../pipeline/subject';
import { parseIdentity } from './notifications';

describe('parseIdentity (the notification identity form)', () => {
  it('refuses each field in the words the form shows, never by its internal key', () => {
    const parsed = parseIdentity({ cohort: 'C 42', firstName: null, surname: 'x'.repeat(31) });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.deepEqual(parsed.fieldErrors, {
      cohort: 'Cohort must be ASCII letters, digits or "-" only (it goes into an e-mail subject).',
      firstName: 'First name is required.',
      surname: 'Surname must be at most 30 characters.',
    });
    assert.equal(parsed.formError, null);
    assert.doesNotMatch(JSON.stringify(Object.values(parsed.fieldErrors)), /firstName|cohort:|surname:/);
  });

  it('keeps the mail subject under 100 characters, as a form-level message', () => {
    const parsed = parseIdentity({ cohort: 'c'.repeat(30), firstName: 'f'.repeat(30), surname: 's'.repeat(30) });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.deepEqual(parsed.fieldErrors, {});
    assert.match(parsed.formError ?? '', /^Cohort, First name and Surname together may have at most 80 characters/);
    const longest = parseIdentity({ cohort: 'c'.repeat(30), firstName: 'f'.repeat(30), surname: 's'.repeat(20) });
    assert.equal(longest.ok, true);
    if (longest.ok) assert.ok(notificationSubject(longest.identity, 'failure').length < 100, 'the longest accepted identity still makes a valid subject');
  });

  it('trims and accepts a good identity', () => {
    assert.deepEqual(parseIdentity({ cohort: ' C42 ', firstName: 'Grace', surname: 'Hopper-Smith' }), { ok: true, identity: { cohort: 'C42', firstName: 'Grace', surname: 'Hopper-Smith' } });
  });
});
