/**
 * The canary kind's configuration (defaults, rules, interpolation) and its Prometheus source
 * against a real Prometheus. HTTP sampling runs end to end in test/e2e/canary.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPrometheus, startPrometheus, type RunningPrometheus } from '../../test/fixtures/prometheus/prometheus.js';
import { validateConfig } from '../config/load.js';
import { fileLocator } from '../config/locate.js';
import { ConfigError } from '../errors.js';
import type { Sampled } from './canary-http.js';
import { judgeCanary } from './canary-stats.js';
import { canaryKind, canaryResult, parseErrorRate, parseIncrease, type CanaryConfig, type UserCanary } from './canary.js';
import type { CheckContext } from './kind.js';
import { PhaseClock } from './phase-clock.js';

const vars = { version: '1.2.3', gitSha: 'abc', gitBranch: 'main', runDir: '/tmp', env: {} };
const validate = (canary: unknown) => validateConfig({ gates: { g: { canary } } }, '/p/shipgate.yml', fileLocator('/p/shipgate.yml'), 'h');
function issues(canary: unknown): [string, string, string][] {
  try {
    validate(canary);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => [i.path, i.code, i.message]);
  }
}
const B = 'http://127.0.0.1:4100/items';
const C = 'http://127.0.0.1:4101/items';

describe('canary configuration', () => {
  it('max-increase: a ratio (2x), an increase (50%) or a number; error-rate: < or <= a percentage', () => {
    expect([parseIncrease('2x'), parseIncrease('1.5x'), parseIncrease('50%'), parseIncrease(3), parseIncrease('1 x')]).toEqual([2, 1.5, 1.5, 3, 1]);
    expect([parseIncrease('fast'), parseIncrease('2'), parseIncrease('-2x'), parseIncrease(undefined)]).toEqual([undefined, undefined, undefined, undefined]);
    expect(parseErrorRate('< 1%')).toEqual({ op: '<', value: 0.01 });
    expect(parseErrorRate('<=0.5%')).toEqual({ op: '<=', value: 0.005 });
    expect([parseErrorRate('1%'), parseErrorRate('> 1%'), parseErrorRate('< 101%'), parseErrorRate('< 0.01')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('defaults: 200 requests a side after 5 warm-up ones, within 60 s; 1.2x; < 1% errors; alpha 0.05; 20 samples; marginal warns', () => {
    expect(validate({ baseline: B, canary: C }).gates.g!.checks.canary).toEqual({
      source: { kind: 'http', baseline: { url: B, method: 'GET', headers: {} }, canary: { url: C, method: 'GET', headers: {} }, signal: 'latency', requests: 200, warmup: 5, durationMs: 60_000, timeoutMs: 10_000 },
      limits: { maxIncrease: 1.2, alpha: 0.05, minSamples: 20, errorRate: { op: '<', value: 0.01 } },
      onMarginal: 'warn',
    });
    // Only a duration: as many requests as fit in it, up to the bound.
    expect((validate({ baseline: B, canary: C, duration: '20s' }).gates.g!.checks.canary!.source as { requests: number }).requests).toBe(10_000);
    const prom = validate({ prometheus: { url: 'http://127.0.0.1:9090', baseline: 'a', canary: 'b', window: '15m', unit: 's' }, 'max-increase': '50%' }).gates.g!.checks.canary!;
    expect(prom).toMatchObject({ source: { kind: 'prometheus', window: { kind: 'last', ms: 900_000 }, unit: 's' }, limits: { maxIncrease: 1.5 } });
    expect(prom.limits.errorRate).toBeUndefined();
  });

  it('honest: the nearest inputs to each rule are accepted', () => {
    expect(issues({ baseline: B, canary: { url: B, method: 'POST' }, 'max-increase': '1x', 'error-rate': '<= 100%', requests: 20, alpha: 0.5, 'min-samples': 20 })).toEqual([]);
    expect(issues({ prometheus: { url: 'http://127.0.0.1:9090', baseline: 'up{v="1"}', canary: 'up{v="2"}', window: 'load' } })).toEqual([]);
  });

  it('HOSTILE: each rule refuses, at its own path', () => {
    expect(issues({})).toMatchObject([['gates.g.canary', 'CONFIG_VALUE', expect.stringMatching(/exactly one of these/)]]);
    expect(issues({ baseline: B })).toMatchObject([['gates.g.canary', 'CONFIG_VALUE', expect.stringMatching(/`canary` is missing/)]]);
    expect(issues({ baseline: B, canary: B })).toMatchObject([['gates.g.canary.canary', 'CONFIG_VALUE', expect.stringMatching(/compared with itself/)]]);
    expect(issues({ baseline: B, canary: C, 'max-increase': '0.9x' })).toMatchObject([['gates.g.canary.max-increase', 'CONFIG_VALUE', expect.stringMatching(/below 1x/)]]);
    expect(issues({ baseline: B, canary: C, 'max-increase': 'double' })).toMatchObject([['gates.g.canary.max-increase', 'CONFIG_VALUE', expect.stringMatching(/not an increase/)]]);
    expect(issues({ baseline: B, canary: C, 'error-rate': '1%' })).toMatchObject([['gates.g.canary.error-rate', 'CONFIG_VALUE', expect.stringMatching(/not an error-rate limit/)]]);
    expect(issues({ baseline: B, canary: C, requests: 0 })).toMatchObject([['gates.g.canary.requests', 'CONFIG_VALUE', 'must be at least 1']]);
    expect(issues({ baseline: B, canary: C, requests: 19 })).toMatchObject([['gates.g.canary.requests', 'CONFIG_VALUE', expect.stringMatching(/can never reach min-samples 20/)]]);
    expect(issues({ baseline: B, canary: C, 'min-samples': 500 })).toMatchObject([['gates.g.canary.min-samples', 'CONFIG_VALUE', expect.stringMatching(/^the default of 200 requests per side can never reach min-samples 500/)]]);
    expect(issues({ baseline: B, canary: C, 'min-samples': 500, duration: '30s' })).toEqual([]);
    expect(issues({ baseline: B, canary: C, requests: 10_001 })).toMatchObject([['gates.g.canary.requests', 'CONFIG_VALUE', 'must be at most 10000']]);
    expect(issues({ baseline: B, canary: C, metric: 'size' })).toMatchObject([['gates.g.canary.metric', 'CONFIG_VALUE', expect.stringMatching(/latency", "ttfb"/)]]);
    expect(issues({ baseline: B, canary: C, alpha: 0 })).toMatchObject([['gates.g.canary.alpha', 'CONFIG_VALUE', 'must be more than 0']]);
    expect(issues({ baseline: B, canary: C, 'min-samples': 2 })).toMatchObject([['gates.g.canary.min-samples', 'CONFIG_VALUE', 'must be at least 3']]);
    expect(issues({ baseline: 'file:///etc/passwd', canary: C })).toMatchObject([['gates.g.canary.baseline', 'CONFIG_VALUE', expect.stringMatching(/not an HTTP URL/)]]);
    expect(issues({ baseline: B, canary: `${C}?v=\${nope}` })).toMatchObject([['gates.g.canary.canary', 'CONFIG_VARIABLE', expect.any(String)]]);
    const prom = { url: 'http://127.0.0.1:9090', baseline: 'a', canary: 'b' };
    expect(issues({ prometheus: prom, requests: 50, 'error-rate': '< 1%' }).map((i) => i[0])).toEqual(['gates.g.canary.requests', 'gates.g.canary.error-rate']);
    expect(issues({ prometheus: { ...prom, canary: 'a', window: 'yesterday', unit: 'parsecs' } }).map((i) => i[0])).toEqual(['gates.g.canary.prometheus.window', 'gates.g.canary.prometheus.unit', 'gates.g.canary.prometheus.canary']);
    expect(issues({ baseline: B, canary: C, prometheus: prom })).toMatchObject([['gates.g.canary', 'CONFIG_VALUE', expect.stringMatching(/exactly one/)]]);
  });

  it('load: two load runs instead of one request at a time; defaults 10 connections for 20 s, no warm-up, inconclusive fails', () => {
    expect(validate({ baseline: B, canary: C, load: {} }).gates.g!.checks.canary!.source).toEqual({
      kind: 'load',
      baseline: { url: B, method: 'GET', headers: {} },
      canary: { url: C, method: 'GET', headers: {} },
      load: { connections: 10, durationMs: 20_000, warmupMs: 0, timeoutMs: 10_000, inconclusive: 'fail' },
    });
    expect(validate({ baseline: B, canary: C, load: { rate: '200/s', duration: '8s', warmup: '1s', inconclusive: 'warn' } }).gates.g!.checks.canary!.source).toMatchObject({ load: { connections: 10, rate: 200, durationMs: 8000, warmupMs: 1000, inconclusive: 'warn' } });
    // The error-rate limit holds under load as it does one request at a time.
    expect(validate({ baseline: B, canary: C, load: {} }).gates.g!.checks.canary!.limits.errorRate).toEqual({ op: '<', value: 0.01 });
    // min-samples is not weighed against a request count that a load run does not have.
    expect(issues({ baseline: B, canary: C, load: { duration: '5s' }, 'min-samples': 500 })).toEqual([]);
  });

  it('HOSTILE: load with a prometheus source, one-at-a-time keys beside it, a rate that is not one, a URL of its own are refused', () => {
    const prom = { url: 'http://127.0.0.1:9090', baseline: 'a', canary: 'b' };
    expect(issues({ prometheus: prom, load: {} })).toMatchObject([['gates.g.canary.load', 'CONFIG_VALUE', expect.stringMatching(/not a prometheus source/)]]);
    expect(issues({ baseline: B, canary: C, load: {}, requests: 50, duration: '5s', metric: 'ttfb' }).map((i) => [i[0], i[2]])).toEqual([
      ['gates.g.canary.metric', expect.stringMatching(/not to `load`/)],
      ['gates.g.canary.requests', expect.stringMatching(/not to `load`/)],
      ['gates.g.canary.duration', expect.stringMatching(/not to `load`/)],
    ]);
    expect(issues({ baseline: B, canary: C, load: { rate: '200' } })).toMatchObject([['gates.g.canary.load.rate', 'CONFIG_VALUE', expect.stringMatching(/not a rate/)]]);
    expect(issues({ baseline: B, canary: C, load: { url: B } })).toMatchObject([['gates.g.canary.load.url', 'CONFIG_UNKNOWN_KEY', 'unknown key "url"']]);
  });

  it('interpolation: values are data in URLs and headers; a value that could rewrite PromQL is refused', () => {
    const http = canaryKind.interpolate(canaryKind.normalize({ baseline: B, canary: { url: `${C}?v=\${version}`, headers: { 'X-Release': '${version}' } } }, { cwd: '/' }), vars);
    expect(http.source).toMatchObject({ canary: { url: `${C}?v=1.2.3`, headers: { 'x-release': '1.2.3' } } });
    const prom: UserCanary = { prometheus: { url: 'http://127.0.0.1:9090', baseline: 'up{v="1.0.0"}', canary: 'up{v="${version}"}' } };
    expect((canaryKind.interpolate(canaryKind.normalize(prom, { cwd: '/' }), vars).source as { canary: string }).canary).toBe('up{v="1.2.3"}');
    expect(() => canaryKind.interpolate(canaryKind.normalize(prom, { cwd: '/' }), { ...vars, version: '1"} or up{x="' })).toThrow(/PromQL/);
  });
});

describe('canary checks and metrics from a judgement', () => {
  const cfg = (onMarginal: CanaryConfig['onMarginal']): CanaryConfig => ({ ...canaryKind.normalize({ baseline: B, canary: C, 'max-increase': '2x', 'on-marginal': onMarginal }, { cwd: '/' }) });
  // Significant, 1.095× (see canary-stats.test.ts): marginal against 2×.
  const b = Array.from({ length: 60 }, (_, i) => 10 + (i % 10) * 0.1 + i * 0.001);
  const marginal = (c: CanaryConfig) => canaryResult(c, judgeCanary({ baseline: b, canary: b.map((x) => x + 1) }, c.limits), 'latency', 'ms');

  it('on-marginal: warn fails the check as a warning, fail blocks, pass accepts; the metrics are there in every case', () => {
    expect(marginal(cfg('warn')).checks).toMatchObject([{ check: 'canary latency', ok: false, severity: 'warn', message: expect.stringMatching(/^marginal: 1\.1× against a limit of 2×, p < 1e-6 — significant, within the limit; on-marginal: warn$/) }]);
    const strict = marginal(cfg('fail')).checks[0]!;
    expect([strict.ok, strict.severity]).toEqual([false, undefined]);
    expect(marginal(cfg('pass')).checks[0]).toMatchObject({ ok: true });
    expect(marginal(cfg('pass')).metrics.map((m) => m.name)).toEqual(['metric.canary.latency.baseline', 'metric.canary.latency.canary', 'metric.canary.latency.shift', 'metric.canary.latency.ratio', 'metric.canary.p-value', 'metric.canary.samples']);
  });

  it('HOSTILE: too few samples: a failing check that says sampling ran out of time, error metrics only', () => {
    const side = (values: number[], attempted: number) => ({ values, attempted, non2xx: attempted - values.length, errors: 0, timeouts: 0, statuses: {} });
    const sampled: Sampled = { baseline: side(b, 60), canary: side([1, 2], 2), stoppedBy: 'duration', elapsedMs: 60_000 };
    const c = canaryKind.normalize({ baseline: B, canary: C, 'error-rate': '<= 7%' }, { cwd: '/' });
    const j = judgeCanary({ baseline: b, canary: [1, 2], errors: { baseline: { attempted: 60, failed: 0 }, canary: { attempted: 2, failed: 0 } } }, c.limits);
    const res = canaryResult(c, j, 'latency', 'ms', sampled);
    expect(res.checks.find((x) => x.check === 'canary latency')).toMatchObject({ ok: false, message: expect.stringContaining('Sampling stopped at its duration after 60.0 s') });
    expect(res.checks.find((x) => x.check === 'canary error rate')).toMatchObject({ ok: true, expected: '<= 7%', actual: '0.00% (0 of 2 failed: 0 non-2xx, 0 errors, 0 timeouts)' });
    expect(res.metrics.map((m) => m.name)).toEqual(['metric.canary.errors.rate', 'metric.canary.errors.total', 'metric.canary.baseline.errors.rate']);
  });
});

describe.skipIf(!hasPrometheus)('canary over Prometheus range queries', () => {
  let prom: RunningPrometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
    // Series old enough for a 6 s window at a 500 ms step: 12 points a side.
    await prom.waitForScrapes(9);
  }, 60_000);
  afterAll(() => prom?.stop());
  const ctx = (): CheckContext => ({ gate: 'g', cwd: '/', runDir: '/tmp', runStartedMs: Date.now(), signal: new AbortController().signal, services: [], foreignListener: async () => undefined, phases: new Map(), chaos: new PhaseClock(), openProxy: () => Promise.reject(new Error('no fault proxy in this test')) });
  const run = (baseline: string, canary: string, extra: Partial<UserCanary> = {}) => {
    const cfg: CanaryConfig = canaryKind.normalize({ prometheus: { url: prom.url, baseline, canary, window: '6s', step: '500ms', unit: 's' }, 'min-samples': 10, 'max-increase': '2x', ...extra }, { cwd: '/' });
    return canaryKind.run(cfg, ctx());
  };

  it('HOSTILE: a series three times the other fails, with the ratio as a metric', async () => {
    const res = await run('app_latency_seconds', 'app_latency_seconds * 3');
    const c = res.checks.find((x) => x.check === 'canary value')!;
    expect(c.ok).toBe(false);
    expect(c.actual).toMatch(/^FAIL: the canary is worse beyond the limit: median 360 ms against 120 ms, shift \+240 ms .*: 3× the baseline, limit 2×; significant/);
    expect(res.metrics?.find((m) => m.name === 'metric.canary.value.ratio')?.value).toBeCloseTo(3, 9);
    expect(res.metrics?.find((m) => m.name === 'metric.canary.value.canary')).toMatchObject({ value: 360, unit: 'ms' });
    expect(res.metrics?.find((m) => m.name === 'metric.canary.samples')!.value).toBeGreaterThanOrEqual(10);
  });

  it('honest: the same series under another query passes (every value tied: p = 1)', async () => {
    const res = await run('app_latency_seconds', 'app_latency_seconds + 0');
    expect(res.checks).toMatchObject([{ check: 'canary value', ok: true, actual: expect.stringMatching(/^PASS: .*p = 1\.000/) }]);
    expect(res.metrics?.find((m) => m.name === 'metric.canary.p-value')?.value).toBe(1);
  });

  it('HOSTILE: a canary query with no data fails as Prometheus judges it, without metrics', async () => {
    const res = await run('app_latency_seconds', 'app_latency_seconds{version="none"}');
    expect(res.checks).toMatchObject([{ check: 'canary canary query', ok: false, actual: expect.stringMatching(/no data/) }]);
    expect(res.metrics).toBeUndefined();
  });

  it('HOSTILE: fewer points than min-samples fail closed', async () => {
    const res = await run('app_latency_seconds', 'app_latency_seconds * 3', { 'min-samples': 1000 });
    expect(res.checks).toMatchObject([{ check: 'canary value', ok: false, actual: expect.stringMatching(/too few samples to compare/) }]);
    expect(res.metrics).toEqual([]);
  });
});
