import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { redactUrls } from './redact';

describe('redactUrls', () => {
  it('hides credentials of every URL in a message and keeps the rest', () => {
    assert.equal(
      redactUrls('connect postgres://stockflow:s3cr%40t@db:5432/x failed; smtp://ops:pw@mail:587 too; http://host:8080/api ok'),
      'connect postgres://***@db:5432/x failed; smtp://***@mail:587 too; http://host:8080/api ok',
    );
    assert.equal(redactUrls('no url here'), 'no url here');
  });
});
