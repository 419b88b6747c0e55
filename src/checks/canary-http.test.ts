/**
 * The canary's HTTP sampler against real servers on 127.0.0.1 (in this process: the sampler is
 * tested here, not the foreign-listener check, which test/e2e/canary.test.ts covers). Order, counts
 * and the duration bound are asserted; times only where they differ by 100 ms or more.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleHttp, type SampleRequest } from './canary-http.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: RequestListener): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

const base = (baseline: string, canary: string, extra: Partial<SampleRequest> = {}): SampleRequest => ({
  baseline: { url: baseline, method: 'GET', headers: {} },
  canary: { url: canary, method: 'GET', headers: {} },
  signal: 'latency',
  requests: 4,
  warmup: 0,
  durationMs: 30_000,
  timeoutMs: 5000,
  abort: new AbortController().signal,
  ...extra,
});

describe('canary HTTP sampling', () => {
  it('one request at a time, alternating ABBA: baseline first in even pairs, canary first in odd ones', async () => {
    const seen: string[] = [];
    const b = await serve((_, res) => (seen.push('B'), res.end('ok')));
    const c = await serve((_, res) => (seen.push('C'), res.end('ok')));
    const r = await sampleHttp(base(b, c, { requests: 4, warmup: 1 }));
    expect(seen.join('')).toBe('BCCBBCCBBC');
    // The warm-up pair is left out of the samples.
    expect([r.baseline.values.length, r.canary.values.length, r.baseline.attempted, r.stoppedBy]).toEqual([4, 4, 4, 'requests']);
  });

  it('errors are counted per side and are never latencies: non-2xx, refused connections, timeouts', async () => {
    let n = 0;
    const b = await serve((_, res) => res.end('ok'));
    const flaky = await serve((_, res) => {
      res.statusCode = ++n % 2 ? 500 : 200;
      res.end();
    });
    const r = await sampleHttp(base(b, flaky, { requests: 6 }));
    expect(r.canary).toMatchObject({ attempted: 6, non2xx: 3, errors: 0, timeouts: 0, statuses: { 200: 3, 500: 3 } });
    expect(r.canary.values).toHaveLength(3);
    expect(r.baseline).toMatchObject({ attempted: 6, non2xx: 0 });

    const closed = await serve(() => {});
    const port = new URL(closed).port;
    await new Promise((res) => servers.pop()!.close(res));
    const refused = await sampleHttp(base(b, `http://127.0.0.1:${port}/`, { requests: 3 }));
    expect(refused.canary).toMatchObject({ attempted: 3, errors: 3, values: [], firstError: expect.stringMatching(/^ECONNREFUSED/) });

    const silent = await serve(() => {});
    const hung = await sampleHttp(base(b, silent, { requests: 2, timeoutMs: 100 }));
    expect(hung.canary).toMatchObject({ attempted: 2, timeouts: 2, values: [] });
  });

  it('ttfb stops at the headers, latency at the last byte (400 ms apart here)', async () => {
    const slowBody: RequestListener = (_, res) => {
      res.writeHead(200);
      res.flushHeaders();
      setTimeout(() => res.end('late'), 400);
    };
    const b = await serve(slowBody);
    const c = await serve(slowBody);
    const latency = await sampleHttp(base(b, c, { requests: 1 }));
    const ttfb = await sampleHttp(base(b, c, { requests: 1, signal: 'ttfb' }));
    expect(latency.canary.values[0]).toBeGreaterThanOrEqual(390);
    // Only a machine stalled for 200 ms between the headers and the request could flip this.
    expect(ttfb.canary.values[0]).toBeLessThan(latency.canary.values[0]! - 200);
  });

  it('HOSTILE: duration bounds the sampling, whatever `requests` asks for', async () => {
    const slow: RequestListener = (_, res) => void setTimeout(() => res.end('ok'), 50);
    const b = await serve(slow);
    const c = await serve(slow);
    const r = await sampleHttp(base(b, c, { requests: 10_000, durationMs: 400 }));
    expect(r.stoppedBy).toBe('duration');
    // At least 100 ms a pair: at most 4 pairs started within 400 ms (plus the one running then).
    expect(r.baseline.attempted).toBeLessThanOrEqual(5);
    expect(r.baseline.attempted).toBeGreaterThan(0);
  });

  it('HOSTILE: cancelling stops at once and says so', async () => {
    const ac = new AbortController();
    const silent = await serve(() => {});
    setTimeout(() => ac.abort(), 100);
    const r = await sampleHttp(base(silent, silent, { requests: 1000, abort: ac.signal }));
    expect(r.stoppedBy).toBe('cancelled');
    expect(r.elapsedMs).toBeLessThan(5000);
  });
});
