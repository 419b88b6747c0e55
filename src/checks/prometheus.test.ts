/**
 * The prometheus check kind against a real Prometheus (Debian's package) scraping a real metrics
 * service, and against a real HTTP server that answers 500 where Prometheus would be. The hostile
 * cases — an empty result, NaN, several series, a bad query, a server error, nobody listening —
 * must each fail, saying what happened; the honest ones beside them must pass.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/fixtures/run/helpers.js';
import { hasPrometheus, startPrometheus, type RunningPrometheus } from '../../test/fixtures/prometheus/prometheus.js';
import type { CheckContext } from './kind.js';
import { PhaseClock } from './phase-clock.js';
import { prometheusKind, type UserPrometheus } from './prometheus.js';

const vars = { version: '1.2.3', gitSha: 'abc', gitBranch: 'main', runDir: '/tmp', env: {} };

function context(runStartedMs: number): CheckContext {
  return {
    gate: 'slo',
    cwd: '/',
    runDir: '/tmp',
    runStartedMs,
    signal: new AbortController().signal,
    services: [],
    foreignListener: async () => undefined,
    phases: new Map(),
    chaos: new PhaseClock(),
    openProxy: () => Promise.reject(new Error('no fault proxy in this test')),
  };
}

async function check(user: UserPrometheus, runStartedMs = Date.now() - 60_000) {
  const cfg = prometheusKind.interpolate(prometheusKind.normalize(user, { cwd: '/' }), vars);
  return prometheusKind.run(cfg, context(runStartedMs));
}

describe.skipIf(!hasPrometheus)('prometheus queries against a real Prometheus', () => {
  let prom: RunningPrometheus;
  const started = Date.now();
  beforeAll(async () => {
    prom = await startPrometheus();
    prom.exposed.requests = [{ code: '200', count: 42 }];
    prom.exposed.latencySeconds = 0.12;
    await prom.waitForScrapes(prom.scrapes() + 3);
  });
  afterAll(() => prom?.stop());

  it('an instant query yields metric.<name>; seconds become ms', async () => {
    const res = await check({ url: prom.url, queries: { requests: 'sum(app_requests_total)', latency: { query: 'app_latency_seconds', unit: 's' } } });
    expect(res.checks.map((c) => c.ok)).toEqual([true, true]);
    expect(res.metrics).toEqual([
      { name: 'metric.requests', value: 42, source: 'prometheus' },
      { name: 'metric.latency', value: 120, unit: 'ms', source: 'prometheus' },
    ]);
  });

  it('keeps the query, its window and the raw answer as evidence', async () => {
    const res = await check({ url: prom.url, queries: { requests: 'sum(app_requests_total)' } });
    const kept = res.evidence![0]!;
    expect(kept.name).toBe('requests');
    const data = kept.data as { query: string; type: string; window: { start: string; end: string }; status: number; response: string; value: number };
    expect(data).toMatchObject({ query: 'sum(app_requests_total)', type: 'instant', status: 200, value: 42 });
    expect(Date.parse(data.window.end)).toBeGreaterThan(Date.parse(data.window.start));
    expect(JSON.parse(data.response)).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
  });

  it('a range query over the run reduces the series; min-samples is a traffic floor', async () => {
    const ok = await check({ url: prom.url, window: 'run', queries: { ratio: { query: 'app_ratio', range: true, reduce: 'max', 'min-samples': 2 } } }, started - 5_000);
    expect(ok.checks[0]).toMatchObject({ ok: true });
    expect(ok.metrics![0]).toMatchObject({ name: 'metric.ratio', value: 0.01 });
    const floor = await check({ url: prom.url, window: '1m', queries: { ratio: { query: 'app_ratio', range: true, 'min-samples': 100_000 } } });
    expect(floor.checks[0]).toMatchObject({ ok: false, actual: expect.stringMatching(/samples?, fewer than min-samples 100000/) });
    expect(floor.metrics).toEqual([]);
  });

  it('HOSTILE: an empty result fails (no data is never a pass); warn and pass are explicit and still reported', async () => {
    const empty = { query: 'sum(app_requests_total{code="500"})' };
    const failed = await check({ url: prom.url, queries: { errors: empty } });
    expect(failed.checks[0]).toMatchObject({ ok: false, actual: 'no data: the query returned an empty vector' });
    expect(failed.checks[0]!.severity).toBeUndefined();
    expect(failed.metrics).toEqual([]);
    const emptyRange = await check({ url: prom.url, queries: { errors: { ...empty, range: true } } });
    expect(emptyRange.checks[0]).toMatchObject({ ok: false, actual: 'no data: the query returned no series in the window' });
    const warned = await check({ url: prom.url, 'on-no-data': 'warn', queries: { errors: empty } });
    expect(warned.checks[0]).toMatchObject({ ok: false, severity: 'warn' });
    const passed = await check({ url: prom.url, queries: { errors: { ...empty, 'on-no-data': 'pass' } } });
    expect(passed.checks[0]).toMatchObject({ ok: true, severity: 'warn', message: expect.stringContaining('accepted by on-no-data: pass') });
    // Accepting no data never invents a value for expectations to pass on.
    expect(passed.metrics).toEqual([]);
    // The honest form of the same question: `or vector(0)` says "no errors" in PromQL itself.
    const honest = await check({ url: prom.url, queries: { errors: 'sum(app_requests_total{code="500"}) or vector(0)' } });
    expect(honest.checks[0]).toMatchObject({ ok: true });
    expect(honest.metrics![0]!.value).toBe(0);
  });

  it('HOSTILE: several series fail: the query must answer one number', async () => {
    prom.exposed.requests = [{ code: '200', count: 42 }, { code: '500', count: 1 }];
    await prom.waitForScrapes(prom.scrapes() + 2);
    const res = await check({ url: prom.url, queries: { requests: 'app_requests_total' } });
    expect(res.checks[0]).toMatchObject({ ok: false, actual: expect.stringMatching(/^2 series: \{__name__="app_requests_total",code="200"/) });
    expect(res.checks[0]!.message).toMatch(/aggregate/);
  });

  it('HOSTILE: a bad query is refused by Prometheus (400) and fails with its error', async () => {
    const res = await check({ url: prom.url, queries: { broken: 'sum(app_requests_total' } });
    expect(res.checks[0]).toMatchObject({ ok: false, actual: expect.stringMatching(/^HTTP 400 \(bad_data: .*parse error/) });
    expect(res.checks[0]!.message).toMatch(/fix the PromQL/);
  });

  it('HOSTILE: NaN (0/0) fails as no data, in an instant and a range query', async () => {
    prom.exposed.ratio = NaN;
    await prom.waitForScrapes(prom.scrapes() + 2);
    const instant = await check({ url: prom.url, queries: { ratio: 'app_ratio' } });
    expect(instant.checks[0]).toMatchObject({ ok: false, actual: expect.stringMatching(/^no data: NaN/) });
    expect(instant.metrics).toEqual([]);
    const zeroOverZero = await check({ url: prom.url, queries: { ratio: 'sum(app_requests_total{code="404"} or vector(0)) / sum(app_requests_total{code="404"} or vector(0))' } });
    expect(zeroOverZero.checks[0]).toMatchObject({ ok: false, actual: expect.stringMatching(/^no data: NaN/) });
  });

  it('HOSTILE: division by zero (+Inf) fails whatever on-no-data says', async () => {
    const res = await check({ url: prom.url, 'on-no-data': 'pass', queries: { ratio: 'vector(1) / vector(0)' } });
    expect(res.checks[0]).toMatchObject({ ok: false, actual: '+Inf' });
  });

  it('HOSTILE: a value spliced into PromQL cannot rewrite the query', () => {
    const cfg = prometheusKind.normalize({ url: prom.url, queries: { v: 'up{version="${version}"}' } }, { cwd: '/' });
    expect(() => prometheusKind.interpolate(cfg, { ...vars, version: '1"} or vector(1) #' })).toThrow(/could read as part of the query/);
    expect(prometheusKind.interpolate(cfg, vars).queries[0]!.query).toBe('up{version="1.2.3"}');
  });
});

describe('prometheus answers that are not Prometheus answering', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/html')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'internal', error: 'storage unavailable' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('HOSTILE: a 500 fails with a clear message, whatever on-no-data says', async () => {
    const res = await check({ url, 'on-no-data': 'pass', queries: { errors: 'sum(rate(x[1m]))' } });
    expect(res.checks[0]).toMatchObject({ ok: false, actual: 'HTTP 500 (internal: storage unavailable)' });
    expect(res.checks[0]!.message).toMatch(/Prometheus failed to answer/);
    expect((res.evidence![0]!.data as { status: number }).status).toBe(500);
  });

  it('HOSTILE: a page that is not the API fails', async () => {
    const res = await check({ url: `${url}/html`, queries: { errors: 'up' } });
    expect(res.checks[0]).toMatchObject({ ok: false, actual: 'a body that is not JSON' });
  });

  it('HOSTILE: nobody listening fails, naming the reason', async () => {
    const port = await freePort();
    const res = await check({ url: `http://127.0.0.1:${port}`, queries: { errors: 'up' } });
    expect(res.checks[0]).toMatchObject({ ok: false, actual: expect.stringMatching(/^no answer: .*ECONNREFUSED/) });
  });
});
