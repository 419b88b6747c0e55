import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeConfig } from '../config/types.js';
import type { Check } from '../model/types.js';
import { freePort } from '../../test/fixtures/run/helpers.js';
import { describeProbe, lookupJson, parseJsonPath, runProbe } from './probe-http.js';

let server: Server;
let base: string;
const servers: Server[] = [];

function listen(srv: Server, port = 0): Promise<number> {
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port)));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-version': '1.2.3' });
        res.end(`<html><div id="root"></div>${'x'.repeat(1200)}</html>`);
        return;
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { items: [{ id: 7, tags: ['a', 'b'] }], total: 1 } }));
        return;
      case '/old':
        res.writeHead(302, { location: '/' });
        res.end();
        return;
      case '/hang':
        return; // never answers
      case '/slow':
        setTimeout(() => res.end('late'), 300);
        return;
      case '/echo': {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null, body }));
        });
        return;
      }
      default:
        res.writeHead(404);
        res.end('not found');
    }
  });
  servers.push(server);
  base = `http://127.0.0.1:${await listen(server)}`;
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

function probe(path: string, over: Partial<ProbeConfig> = {}): ProbeConfig {
  return { method: 'GET', url: `${base}${path}`, headers: {}, bodyContains: [], bodyMatches: [], json: {}, header: {}, consecutive: 1, ...over };
}
const byName = (checks: Check[], suffix: string): Check => {
  const c = checks.find((x) => x.check.endsWith(suffix));
  if (!c) throw new Error(`no check ending in ${suffix}: ${checks.map((x) => x.check).join(', ')}`);
  return c;
};

describe('runProbe status', () => {
  it('defaults to any 2xx', async () => {
    const ok = await runProbe(probe('/'));
    expect(ok).toEqual([{ check: `GET ${base}/ status`, expected: '2xx', actual: '200', operator: '==', ok: true }]);
    const missing = await runProbe(probe('/nope'));
    expect(missing[0]).toMatchObject({ expected: '2xx', actual: '404', ok: false });
  });

  it('checks an explicit status list', async () => {
    expect((await runProbe(probe('/nope', { status: [404] })))[0]?.ok).toBe(true);
    const c = (await runProbe(probe('/', { status: [201, 204] })))[0];
    expect(c).toMatchObject({ expected: 'one of 201, 204', actual: '200', ok: false });
  });

  it('does not follow redirects: a 302 is what the server said', async () => {
    const c = (await runProbe(probe('/old', { status: [200] })))[0];
    expect(c).toMatchObject({ ok: false, actual: '302 (redirect to /)' });
    expect((await runProbe(probe('/old', { status: [302] })))[0]?.ok).toBe(true);
  });

  it('sends method, headers and body', async () => {
    const checks = await runProbe(
      probe('/echo', { method: 'POST', headers: { authorization: 'Bearer t' }, body: 'hi', status: [201], json: { method: 'POST', auth: 'Bearer t', body: 'hi' } }),
    );
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks).toHaveLength(4);
  });
});

describe('runProbe body', () => {
  it('body-contains passes and fails with a short description of the body', async () => {
    const checks = await runProbe(probe('/', { bodyContains: ['<div id="root">', '<div id="app">'] }));
    expect(byName(checks, 'body contains "<div id=\\"root\\">"').ok).toBe(true);
    const miss = byName(checks, 'body contains "<div id=\\"app\\">"');
    expect(miss.ok).toBe(false);
    expect(miss.actual).toBe('body of 1.2 KB without "<div id=\\"app\\">"');
  });

  it('body-matches takes a pattern source or /re/flags, and reports an invalid pattern', async () => {
    const checks = await runProbe(probe('/', { bodyMatches: ['<div id="ro+t">', '/<HTML>/i', 'nothing-like-this', '(unclosed'] }));
    expect(checks.map((c) => c.ok)).toEqual([true, true, true, false, false]);
    expect(checks[4]?.actual).toContain('invalid regular expression');
  });
});

describe('runProbe json', () => {
  it('compares values at dot/bracket paths with deep equality', async () => {
    const checks = await runProbe(
      probe('/json', { json: { 'data.items[0].id': 7, 'data.items[0].tags': ['a', 'b'], 'data.total': 2, 'data.items[3].id': 1, 'data.nope': null } }),
    );
    expect(byName(checks, 'json data.items[0].id')).toMatchObject({ ok: true, actual: '7' });
    expect(byName(checks, 'json data.items[0].tags').ok).toBe(true);
    expect(byName(checks, 'json data.total')).toMatchObject({ ok: false, expected: '2', actual: '1' });
    expect(byName(checks, 'json data.items[3].id')).toMatchObject({ ok: false, actual: 'missing: data.items has 1 items, no [3]' });
    expect(byName(checks, 'json data.nope')).toMatchObject({ ok: false, actual: 'missing: no "nope" at data' });
  });

  it('fails every json check when the body is not JSON', async () => {
    const checks = await runProbe(probe('/', { json: { a: 1 } }));
    expect(byName(checks, 'json a').ok).toBe(false);
    expect(byName(checks, 'json a').actual).toContain('is not JSON');
  });
});

describe('runProbe headers and latency', () => {
  it('checks headers exactly (case-insensitive name) or by /regex/', async () => {
    const checks = await runProbe(
      probe('/', { header: { 'X-Version': '1.2.3', 'content-type': '/^text\\/html/', 'x-missing': 'a', 'bad name': 'x' } }),
    );
    expect(byName(checks, 'header x-version').ok).toBe(true);
    expect(byName(checks, 'header content-type')).toMatchObject({ ok: true, expected: 'matches /^text\\/html/' });
    expect(byName(checks, 'header x-missing')).toMatchObject({ ok: false, actual: 'absent' });
    expect(byName(checks, 'header bad name')).toMatchObject({ ok: false, actual: 'invalid header name "bad name"' });
    const wrong = await runProbe(probe('/', { header: { 'x-version': '2.0.0' } }));
    expect(byName(wrong, 'header x-version')).toMatchObject({ ok: false, expected: '2.0.0', actual: '1.2.3' });
  });

  it('checks the latency bound', async () => {
    const fast = await runProbe(probe('/', { maxLatencyMs: 5000 }));
    expect(byName(fast, 'latency')).toMatchObject({ ok: true, expected: '<= 5 s', operator: '<=' });
    const slow = await runProbe(probe('/slow', { maxLatencyMs: 50 }));
    expect(byName(slow, 'latency').ok).toBe(false);
  });
});

describe('runProbe failures and retry', () => {
  it('turns a refused connection into one failing check with the error', async () => {
    const port = await freePort();
    const checks = await runProbe(probe('', { url: `http://127.0.0.1:${port}/`, bodyContains: ['x'] }));
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ ok: false, expected: 'a response' });
    expect(checks[0]?.actual).toContain('connection refused');
  });

  it('gives up on a request that never answers, saying so', async () => {
    const checks = await runProbe(probe('/hang', { maxLatencyMs: 100 }));
    expect(checks).toEqual([{ check: `GET ${base}/hang`, expected: 'a response', actual: 'no response within 1 s', ok: false }]);
  });

  it('retries until the server answers as expected, with the attempt count in the message', async () => {
    // Counted, not timed: the server is "starting" for its first two requests.
    const port = await freePort();
    let seen = 0;
    const warming = createServer((_req, res) => {
      seen++;
      if (seen <= 2) {
        res.statusCode = 503;
        res.end('starting');
      } else res.end('up');
    });
    servers.push(warming);
    await listen(warming, port);
    const checks = await runProbe(probe('', { url: `http://127.0.0.1:${port}/`, bodyContains: ['up'], retry: { deadlineMs: 30_000, intervalMs: 20 } }));
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks[0]?.message).toContain('after 3 attempts');
    expect(seen).toBe(3);
  });

  it('returns the last failing attempt when the deadline passes', async () => {
    const checks = await runProbe(probe('/nope', { retry: { deadlineMs: 300, intervalMs: 50 } }));
    expect(checks[0]).toMatchObject({ ok: false, actual: '404' });
    expect(checks[0]?.message).toMatch(/still failing after \d+ attempts/);
  });
});

describe('json paths and description', () => {
  it('parses dot, index and quoted bracket forms', () => {
    expect(parseJsonPath('data.items[0].id')).toEqual(['data', 'items', 0, 'id']);
    expect(parseJsonPath('a["b.c"][2]')).toEqual(['a', 'b.c', 2]);
    expect(lookupJson({ a: [1] }, 'a.x')).toEqual({ found: false, reason: 'missing: no "x" at a' });
  });

  it('describes what a probe checks', () => {
    const d = describeProbe(probe('/', { status: [200], bodyContains: ['<div id="root">'], maxLatencyMs: 500 }));
    expect(d).toBe(`GET ${base}/: status 200, body contains "<div id=\\"root\\">", latency <= 500 ms`);
  });
});
