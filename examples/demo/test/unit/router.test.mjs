import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchPattern, parseId, resolveRoute } from '../../src/api/router.mjs';

const routes = [
  { method: 'GET', pattern: '/api/items', handler: 'list' },
  { method: 'POST', pattern: '/api/items', handler: 'create' },
  { method: 'GET', pattern: '/api/items/:id', handler: 'show' },
];

describe('router', () => {
  test('matches literal segments and captures decoded parameters', () => {
    assert.deepEqual(matchPattern('/api/items', '/api/items/'), {});
    assert.deepEqual(matchPattern('/api/items/:id', '/api/items/a%20b'), { id: 'a b' });
    assert.equal(matchPattern('/api/items/:id', '/api/items'), null);
    assert.equal(matchPattern('/api/items', '/api/other'), null);
  });

  test('treats malformed percent-encoding as no match', () => {
    assert.equal(matchPattern('/api/items/:id', '/api/items/%E0%A4%A'), null);
  });

  test('picks the handler by method', () => {
    assert.deepEqual(resolveRoute(routes, 'POST', '/api/items'), { kind: 'match', handler: 'create', params: {}, pattern: '/api/items' });
    assert.deepEqual(resolveRoute(routes, 'GET', '/api/items/7'), { kind: 'match', handler: 'show', params: { id: '7' }, pattern: '/api/items/:id' });
  });

  test('answers HEAD with the GET handler', () => {
    const result = resolveRoute(routes, 'HEAD', '/api/items');
    assert.equal(result.kind, 'match');
    assert.equal(result.handler, 'list');
  });

  test('tells a known path with the wrong method from an unknown path', () => {
    assert.deepEqual(resolveRoute(routes, 'DELETE', '/api/items'), { kind: 'method-not-allowed', allow: ['GET', 'POST'] });
    assert.deepEqual(resolveRoute(routes, 'GET', '/api/nothing'), { kind: 'not-found' });
  });

  test('parses only positive integer ids', () => {
    assert.equal(parseId('12'), 12);
    for (const raw of ['0', '-1', '1.5', '01', 'abc', '', '1e3', '12345678901']) assert.equal(parseId(raw), null, raw);
  });
});
