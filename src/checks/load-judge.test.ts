/** The load result's self-check, pure: the cases a real run gives only on a machine of a given speed. */
import { describe, expect, it } from 'vitest';
import { judgeLoad, type LoadMeasured } from './load-judge.js';

const measured = (extra: Partial<LoadMeasured> = {}): LoadMeasured => ({
  responses: 1000,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  durationMs: 10_000,
  latency: { p50: 2, p90: 4, p95: 5, p99: 9, max: 30 },
  cpuFraction: 0.3,
  ...extra,
});

describe('judging a load run', () => {
  it('honest: a run that did what it was asked passes and yields every metric', () => {
    const { checks, metrics } = judgeLoad({ rate: 100, connections: 10, inconclusive: 'fail' }, measured());
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(metrics.map((m) => m.name)).toEqual([
      'metric.load.latency.p50', 'metric.load.latency.p90', 'metric.load.latency.p95', 'metric.load.latency.p99', 'metric.load.latency.max',
      'metric.load.requests.rate', 'metric.load.requests.total', 'metric.load.errors.rate', 'metric.load.errors.total', 'metric.load.generator.cpu',
    ]);
    expect(metrics.find((m) => m.name === 'metric.load.requests.rate')!.value).toBe(100);
  });

  it('HOSTILE: a generator that saturated its own CPU is inconclusive: fails by default, warns or passes only when told', () => {
    const busy = measured({ cpuFraction: 0.97 });
    expect(judgeLoad({ connections: 10, inconclusive: 'fail' }, busy).checks.find((c) => c.check === 'load generator CPU')).toMatchObject({ ok: false, actual: '97%' });
    expect(judgeLoad({ connections: 10, inconclusive: 'warn' }, busy).checks.find((c) => c.check === 'load generator CPU')).toMatchObject({ ok: false, severity: 'warn' });
    expect(judgeLoad({ connections: 10, inconclusive: 'pass' }, busy).checks.find((c) => c.check === 'load generator CPU')).toMatchObject({ ok: true, severity: 'warn' });
  });

  it('HOSTILE: 94.9 % of the target rate is inconclusive; 95 % is not', () => {
    const at = (responses: number) => judgeLoad({ rate: 100, connections: 10, inconclusive: 'fail' }, measured({ responses })).checks.find((c) => c.check === 'load achieved rate')!.ok;
    expect(at(949)).toBe(false);
    expect(at(950)).toBe(true);
  });

  it('HOSTILE: every request failing is 0 completed, with no metrics; errors count toward the error rate', () => {
    expect(judgeLoad({ connections: 1, inconclusive: 'pass' }, measured({ responses: 0, errors: 40, timeouts: 2 }))).toMatchObject({
      checks: [{ ok: false, actual: '0 of 42 requests completed (40 errors, 2 timeouts)' }],
      metrics: [],
    });
    const some = judgeLoad({ connections: 1, inconclusive: 'fail' }, measured({ responses: 90, non2xx: 5, errors: 10 }));
    expect(some.metrics.find((m) => m.name === 'metric.load.errors.rate')!.value).toBeCloseTo(15 / 100);
  });
});
