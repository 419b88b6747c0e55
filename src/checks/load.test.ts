/**
 * The load check kind against real services on 127.0.0.1, each in its own process. Assertions are
 * on counts and statuses, never on how fast this machine is: the rates asked for are far below
 * what the service can do (honest) or far above what it can possibly do (hostile).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/fixtures/run/helpers.js';
import type { Metric } from '../model/evidence.js';
import type { CheckContext } from './kind.js';
import { PhaseClock } from './phase-clock.js';
import { loadKind, weightedOrder, type UserLoad } from './load.js';

const SERVER = fileURLToPath(new URL('../../test/fixtures/load/server.mjs', import.meta.url));
const vars = { version: '1.2.3', gitSha: 'abc', gitBranch: 'main', runDir: '/tmp', env: {} };
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function serve(env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; count(): Promise<number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      const m = /listening (\d+)/.exec(c);
      if (m) {
        const url = `http://127.0.0.1:${m[1]}`;
        resolve({ url, child, count: async () => Number(await (await fetch(`${url}/count`)).text()) });
      }
    });
    child.once('exit', (code) => reject(new Error(`load fixture exited with ${code}`)));
  });
}

const ctx: CheckContext = {
  gate: 'perf',
  cwd: '/',
  runDir: '/tmp',
  runStartedMs: Date.now(),
  signal: new AbortController().signal,
  services: [],
  foreignListener: async () => undefined,
  phases: new Map(),
  chaos: new PhaseClock(),
  openProxy: () => Promise.reject(new Error('no fault proxy in this test')),
};

async function load(user: UserLoad) {
  const cfg = loadKind.interpolate(loadKind.normalize(user, { cwd: '/' }), vars);
  return loadKind.run(cfg, ctx);
}
const metric = (ms: Metric[] | undefined, name: string) => ms?.find((m) => m.name === `metric.load.${name}`)?.value;

describe('load against a real local service', () => {
  it('several weighted requests arrive in their shares, each with its own method, headers and body', async () => {
    const seen: Record<string, number> = {};
    const bodies = new Set<string>();
    const srv = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        const key = `${req.method} ${req.url} ${req.headers['content-type'] ?? '-'} ${req.headers['x-side'] ?? '-'}`;
        seen[key] = (seen[key] ?? 0) + 1;
        if (body) bodies.add(body);
        setTimeout(() => res.end('ok'), 2);
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const r = await load({
        requests: [
          { url: `${base}/list?page=1`, headers: { 'X-Side': 'list' }, weight: 3 },
          { url: `${base}/items`, method: 'POST', body: { title: 'x' }, weight: 1 },
        ],
        connections: 2,
        duration: '1s',
      });
      expect(r.checks.find((c) => c.check === 'load requests completed')).toMatchObject({ ok: true });
      const list = seen['GET /list?page=1 - list'] ?? 0;
      const post = seen['POST /items application/json -'] ?? 0;
      // Nothing else arrived: every request was one of the two, as written.
      expect(Object.keys(seen).sort()).toEqual(['GET /list?page=1 - list', 'POST /items application/json -']);
      expect(post).toBeGreaterThan(10);
      // Three in every four per connection; the last cycle of each may be cut short.
      expect(Math.abs(list - 3 * post)).toBeLessThanOrEqual(2 * 3);
      expect([...bodies]).toEqual(['{"title":"x"}']);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });


  it('honest, closed model: latency percentiles, rate and error rate; the warm-up is left out', async () => {
    // Answers that take 10 ms keep four connections well inside what the generator can drive
    // (against an instant answer a closed loop saturates the generator: inconclusive, see below).
    const svc = await serve({ DELAY_MS: '10' });
    const res = await load({ url: `${svc.url}/items`, connections: 4, duration: '2s', warmup: '1s' });
    expect(res.checks.filter((c) => !c.ok)).toEqual([]);
    const total = metric(res.metrics, 'requests.total')!;
    expect(total).toBeGreaterThan(0);
    for (const p of ['p50', 'p90', 'p95', 'p99', 'max']) expect(metric(res.metrics, `latency.${p}`)).toBeGreaterThan(0);
    expect(metric(res.metrics, 'latency.p50')!).toBeLessThanOrEqual(metric(res.metrics, 'latency.p99')!);
    expect(metric(res.metrics, 'errors.rate')).toBe(0);
    // The service saw the warm-up too: more requests than were measured.
    expect(await svc.count()).toBeGreaterThan(total);
    expect(res.phase!.endMs).toBeGreaterThan(res.phase!.startMs);
  });

  it('honest, open model: a modest rate is achieved', async () => {
    const svc = await serve();
    const res = await load({ url: svc.url, rate: '20/s', connections: 2, duration: '2s' });
    expect(res.checks.find((c) => c.check === 'load achieved rate')).toMatchObject({ ok: true });
    expect(metric(res.metrics, 'requests.total')).toBeGreaterThan(0);
  });

  it('HOSTILE: a rate the service cannot take makes the result inconclusive, which fails; inconclusive: warn only warns', async () => {
    const svc = await serve({ DELAY_MS: '200' });
    // Two connections against 200 ms answers can carry at most 10 requests a second, not 1000.
    const res = await load({ url: svc.url, rate: '1000/s', connections: 2, duration: '2s' });
    const achieved = res.checks.find((c) => c.check === 'load achieved rate')!;
    expect(achieved).toMatchObject({ ok: false, message: expect.stringContaining('inconclusive') });
    expect(achieved.severity).toBeUndefined();
    const warned = await load({ url: svc.url, rate: '1000/s', connections: 2, duration: '1s', inconclusive: 'warn' });
    expect(warned.checks.find((c) => c.check === 'load achieved rate')).toMatchObject({ ok: false, severity: 'warn' });
  });

  it('HOSTILE: nothing listening: 0 requests completed fails, with no metric to pass an expectation', async () => {
    const port = await freePort();
    const res = await load({ url: `http://127.0.0.1:${port}/`, connections: 2, duration: '1s' });
    expect(res.checks[0]).toMatchObject({ check: 'load requests completed', ok: false, actual: expect.stringMatching(/^0 (of \d+ )?requests/) });
    expect(res.metrics).toEqual([]);
  });

  it('HOSTILE: a service answering 500 to every other request shows it in the error rate', async () => {
    const svc = await serve({ FAIL_EVERY: '2' });
    const res = await load({ url: svc.url, connections: 2, duration: '1s' });
    const rate = metric(res.metrics, 'errors.rate')!;
    expect(rate).toBeGreaterThan(0.4);
    expect(rate).toBeLessThan(0.6);
  });

  it('HOSTILE: a service that crashes mid-load: the failures after the crash count as errors', async () => {
    const svc = await serve({ CRASH_AFTER: '50' });
    const res = await load({ url: svc.url, connections: 2, duration: '2s' });
    expect(svc.child.exitCode ?? (await new Promise((r) => svc.child.once('exit', r)))).toBe(3);
    expect(metric(res.metrics, 'errors.total')).toBeGreaterThan(0);
    expect(metric(res.metrics, 'errors.rate')).toBeGreaterThan(0);
  });

  it('several weighted requests go out in their shares, deterministically', () => {
    expect(weightedOrder([3, 1])).toEqual([0, 0, 1, 0]);
    expect(weightedOrder([1, 1, 1])).toEqual([0, 1, 2]);
  });
});
