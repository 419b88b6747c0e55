import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveVersion } from '../../src/api/version.mjs';
import { parseDelay } from '../../src/lib/delay.mjs';
import { parsePort } from '../../src/lib/port.mjs';

describe('runtime settings', () => {
  test('reports the gated release version over package.json', () => {
    assert.equal(resolveVersion({ SHIPGATE_VERSION: '2.0.0' }, { version: '1.4.0' }), '2.0.0');
    assert.equal(resolveVersion({ SHIPGATE_VERSION: '  ' }, { version: '1.4.0' }), '1.4.0');
    assert.equal(resolveVersion({}, { version: '1.4.0' }), '1.4.0');
    assert.equal(resolveVersion({}, {}), '0.0.0-unknown');
  });

  test('reads ports from the environment with a default', () => {
    assert.equal(parsePort(undefined, 4100, 'API_PORT'), 4100);
    assert.equal(parsePort('', 4100, 'API_PORT'), 4100);
    assert.equal(parsePort('0', 4100, 'API_PORT'), 0);
    assert.equal(parsePort('5123', 4100, 'API_PORT'), 5123);
  });

  test('rejects a port that is not a number, naming the variable', () => {
    for (const raw of ['abc', '-1', '70000', '41 00']) {
      assert.throws(() => parsePort(raw, 4100, 'WEB_PORT'), /WEB_PORT=.* is not a port number/, raw);
    }
  });

  test('reads API_DELAY_MS as whole milliseconds, 0 when unset', () => {
    assert.equal(parseDelay(undefined), 0);
    assert.equal(parseDelay(''), 0);
    assert.equal(parseDelay('50'), 50);
    for (const raw of ['-5', '1.5', '5ms', ' 5', '100000']) {
      assert.throws(() => parseDelay(raw), /API_DELAY_MS=.* is not a delay/, raw);
    }
  });
});
