/* global AbortSignal */
// End-to-end tests of the API over real HTTP. They need a running API at API_URL
// (default http://127.0.0.1:4100): shipgate starts it as the `api` service; by hand, run
// `node src/api/main.mjs` first. They create items with unique titles and never assume an
// empty store, so they can run against a server that has been used before.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

const API_URL = process.env.API_URL || 'http://127.0.0.1:4100';

/** @param {string} path @param {RequestInit} [init] */
async function call(path, init) {
  const url = new URL(path, API_URL);
  let res;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    // Said in every failing test, so the report explains itself when the API is not running.
    throw new Error(`${init?.method ?? 'GET'} ${url} failed (${err.cause?.message ?? err.message}); is the API running? start it with: node src/api/main.mjs (or set API_URL)`);
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** @param {unknown} body */
function postItem(body) {
  return call('/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A failure message without quotes: Node's JUnit reporter escapes them twice. */
const explain = (res) => (res.json?.error ? `${res.status} ${res.json.error.code}: ${res.json.error.message}` : `${res.status}`);

const unique = (label) => `${label} ${randomUUID().slice(0, 8)}`;

describe('api health and version', () => {
  test('GET /health answers ok', async () => {
    const res = await call('/health');
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'ok');
    assert.match(res.headers.get('content-type'), /^application\/json/);
  });

  test('HEAD /health answers without a body', async () => {
    const res = await call('/health', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
  });

  test('GET /api/version names the app and the release being gated', async () => {
    const res = await call('/api/version');
    assert.equal(res.status, 200);
    assert.equal(res.json.name, 'shipgate-demo');
    assert.equal(typeof res.json.version, 'string');
    assert.ok(res.json.version.length > 0, 'the version is not empty');
    if (process.env.SHIPGATE_VERSION) assert.equal(res.json.version, process.env.SHIPGATE_VERSION);
  });
});

describe('api items', () => {
  test('POST /api/items creates an item and points to it', async () => {
    const title = unique('Create');
    const res = await postItem({ title, kind: 'feature' });
    assert.equal(res.status, 201);
    assert.equal(res.json.title, title);
    assert.equal(res.json.kind, 'feature');
    assert.ok(Number.isInteger(res.json.id) && res.json.id > 0);
    assert.equal(res.headers.get('location'), `/api/items/${res.json.id}`);
    assert.ok(!Number.isNaN(Date.parse(res.json.createdAt)));

    const fetched = await call(res.headers.get('location'));
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.json, res.json);
  });

  test('GET /api/items lists created items in order', async () => {
    const first = (await postItem({ title: unique('First'), kind: 'fix' })).json;
    const second = (await postItem({ title: unique('Second'), kind: 'docs' })).json;
    const res = await call('/api/items');
    assert.equal(res.status, 200, `GET /api/items answered ${explain(res)}`);
    assert.ok(Array.isArray(res.json.items), 'expected {"items": [...]}');
    assert.equal(res.json.count, res.json.items.length);
    const ids = res.json.items.map((item) => item.id);
    assert.ok(ids.indexOf(first.id) !== -1 && ids.indexOf(first.id) < ids.indexOf(second.id), `ids ${ids.join(',')}`);
  });

  test('GET /api/items?kind= filters by kind', async () => {
    const breaking = (await postItem({ title: unique('Breaking'), kind: 'breaking' })).json;
    const res = await call('/api/items?kind=breaking');
    assert.equal(res.status, 200, `GET /api/items?kind=breaking answered ${explain(res)}`);
    assert.ok(res.json.items.length >= 1);
    assert.ok(res.json.items.every((item) => item.kind === 'breaking'));
    assert.ok(res.json.items.some((item) => item.id === breaking.id));
  });

  test('GET /api/items?kind= with an unknown kind is a 400', async () => {
    const res = await call('/api/items?kind=chore');
    assert.equal(res.status, 400, `answered ${explain(res)}`);
    assert.equal(res.json.error.code, 'invalid-query');
  });

  test('GET /api/items/:id is a 404 for ids that do not exist', async () => {
    for (const id of ['999999999', 'abc', '0']) {
      const res = await call(`/api/items/${id}`);
      assert.equal(res.status, 404, id);
      assert.equal(res.json.error.code, 'item-not-found');
    }
  });
});

describe('api input validation', () => {
  test('an invalid item is a 400 naming each bad field', async () => {
    const res = await postItem({ title: ' ', kind: 'chore', extra: true });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'invalid-item');
    assert.deepEqual(res.json.error.details.map((d) => d.field).sort(), ['extra', 'kind', 'title']);
  });

  test('a body that is not JSON is a 400', async () => {
    const res = await call('/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title": ' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'invalid-json');
  });

  test('an empty body is a 400', async () => {
    const res = await call('/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'empty-body');
  });

  test('a body that is not declared as JSON is a 415', async () => {
    const res = await call('/api/items', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"title":"x","kind":"fix"}' });
    assert.equal(res.status, 415);
    assert.equal(res.json.error.code, 'unsupported-media-type');
  });

  test('a body over 16 KB is a 413', async () => {
    const res = await postItem({ title: 'x'.repeat(20_000), kind: 'fix' });
    assert.equal(res.status, 413);
    assert.equal(res.json.error.code, 'body-too-large');
  });
});

describe('api routing', () => {
  test('a wrong method is a 405 with the allowed methods', async () => {
    const res = await call('/api/items', { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
  });

  test('an unknown path is a JSON 404', async () => {
    const res = await call('/api/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'not-found');
  });
});

describe('api metrics', () => {
  /** The count of one series in GET /metrics, 0 when it has none yet. */
  async function count(series) {
    const res = await call('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }

  test('GET /metrics counts answers by route pattern and code, for Prometheus', async () => {
    const notFound = 'demo_http_requests_total{route="/api/items/:id",method="GET",code="404"}';
    const before = await count(notFound);
    await call('/api/items/999999999');
    await call('/api/items/999999998');
    // By the pattern, not the path: two ids are one series.
    assert.equal(await count(notFound), before + 2);
    const unmatched = await call('/metrics');
    assert.doesNotMatch(unmatched.text, /route="\/api\/items\/99999999/);
  });
});
