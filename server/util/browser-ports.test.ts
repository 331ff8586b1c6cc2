import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { browserBlockedPort, webPortSchema } from './browser-ports';

describe('ports for the control panel', () => {
  it('takes an ordinary port, given as text as the CLI and PORT give it', () => {
    assert.equal(webPortSchema.parse('3000'), 3000);
    assert.equal(webPortSchema.parse(3658), 3658);
  });

  it('refuses a port browsers will not open, naming its service', () => {
    const refused = webPortSchema.safeParse('3659');
    assert.equal(refused.success, false);
    assert.match(refused.error!.issues[0]!.message, /port 3659 is reserved for apple-sasl: browsers refuse/);
    assert.equal(browserBlockedPort(6000), 'x11');
    assert.equal(browserBlockedPort(5432), null);
  });

  it('refuses what is not a port', () => {
    for (const value of ['0', '65536', 'http', '80.5']) assert.equal(webPortSchema.safeParse(value).success, false, value);
  });
});
