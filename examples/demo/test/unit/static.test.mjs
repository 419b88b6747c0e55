import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cacheControlFor, contentTypeFor, decideStatic } from '../../src/web/static.mjs';

describe('static file decisions', () => {
  test('serves the index at the root', () => {
    assert.deepEqual(decideStatic('/'), { kind: 'file', file: 'index.html', fallback: false });
  });

  test('falls back to the index for unknown page paths', () => {
    assert.deepEqual(decideStatic('/no/such/page'), { kind: 'file', file: 'index.html', fallback: true });
    assert.deepEqual(decideStatic('/kind/fix'), { kind: 'file', file: 'index.html', fallback: true });
  });

  test('looks up real files for assets and paths with an extension', () => {
    assert.deepEqual(decideStatic('/assets/missing.js'), { kind: 'file', file: 'assets/missing.js', fallback: false });
    assert.deepEqual(decideStatic('/assets/logo'), { kind: 'file', file: 'assets/logo', fallback: false });
    assert.deepEqual(decideStatic('/favicon.ico'), { kind: 'file', file: 'favicon.ico', fallback: false });
  });

  test('forwards /api paths to the API', () => {
    assert.deepEqual(decideStatic('/api/items'), { kind: 'proxy' });
    assert.deepEqual(decideStatic('/api'), { kind: 'proxy' });
    assert.notDeepEqual(decideStatic('/apis'), { kind: 'proxy' });
  });

  test('refuses paths that climb out of the root, even when encoded', () => {
    for (const path of ['/../secret', '/assets/%2e%2e/%2e%2e/package.json', '/a/./b.js', '/assets/..%5c..%5cx.js']) {
      assert.equal(decideStatic(path).kind, 'bad-request', path);
    }
  });

  test('refuses malformed encoding and NUL bytes', () => {
    assert.equal(decideStatic('/%E0%A4%A').kind, 'bad-request');
    assert.equal(decideStatic('/assets/a%00.js').kind, 'bad-request');
  });

  test('sends the right content type and caching', () => {
    assert.equal(contentTypeFor('index.html'), 'text/html; charset=utf-8');
    assert.equal(contentTypeFor('assets/app.js'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeFor('assets/STYLE.CSS'), 'text/css; charset=utf-8');
    assert.equal(contentTypeFor('assets/blob'), 'application/octet-stream');
    assert.equal(cacheControlFor('index.html'), 'no-cache');
    assert.match(cacheControlFor('assets/app.js'), /max-age=\d+/);
  });
});
