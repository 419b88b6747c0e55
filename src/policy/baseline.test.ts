import { describe, expect, it } from 'vitest';
import { baselineValue, inferDirection, judgeDrift, metricPolicy, type BaselinePolicy, type BaselineSample } from './baseline.js';

const cfg: BaselinePolicy = { branch: 'main', require: false, runs: 5, minRuns: 3, warnPct: 10, failPct: 20, metrics: {} };

/** Newest first, one day apart ending 2026-11-20. */
function samples(values: number[]): BaselineSample[] {
  return values.map((value, i) => ({ value, runId: `r${i}`, version: `1.0.${i}`, commit: `c${i}`, startedAt: `2026-11-${String(20 - i).padStart(2, '0')}T10:00:00Z`, branch: 'main' }));
}

describe('baselineValue', () => {
  it('takes the median of the newest cfg.runs samples and says where they came from', () => {
    const b = baselineValue(samples([5, 4.8, 5.2, 5.1, 4.9, 100, 100]), cfg);
    expect(b).toMatchObject({ value: 5, n: 5, from: '2026-11-16', to: '2026-11-20', branch: 'main' });
    // MAD of [4.8,4.9,5,5.1,5.2] is 0.1; scaled to a standard deviation.
    expect(b?.spread).toBeCloseTo(0.14826, 5);
  });
  it('is robust to one outlier run and undefined without samples', () => {
    expect(baselineValue(samples([5, 5, 50, 5, 5]), cfg)?.value).toBe(5);
    expect(baselineValue(samples([5, 5, 50, 5, 5]), cfg)?.spread).toBe(0);
    expect(baselineValue([], cfg)).toBeUndefined();
    expect(baselineValue(samples([Number.NaN]), cfg)).toBeUndefined();
    expect(baselineValue(samples([7]), cfg)).toMatchObject({ value: 7, spread: 0, n: 1 });
  });
});

describe('direction', () => {
  it.each([
    ['bench.parse_large.mean', 'lower'],
    ['bench.throughput_test.mean', 'lower'],
    ['bench.parse.ops', 'higher'],
    ['metric.http_req_duration.p95', 'lower'],
    ['metric.http_req_failed.rate', 'lower'],
    ['metric.checks.rate', 'higher'],
    ['metric.retrieval_mrr', 'higher'],
    ['metric.image_size', 'lower'],
    ['metric.memory_bytes', 'lower'],
    ['coverage.lines', 'higher'],
    ['metric.accuracy', 'higher'],
    ['metric.throughput', 'higher'],
  ])('%s → %s', (name, dir) => {
    expect(inferDirection(name)).toBe(dir);
  });
  it('says nothing for a name that says nothing', () => {
    expect(inferDirection('metric.widgets')).toBeUndefined();
    expect(metricPolicy('metric.widgets', cfg)).toMatchObject({ direction: 'lower', directionFrom: 'assumed' });
  });
  it('prefers configuration: exact key, then the longest matching pattern', () => {
    const c: BaselinePolicy = {
      ...cfg,
      metrics: { 'bench.*': { warnPct: 5 }, 'bench.parse.*': { direction: 'higher', failPct: 50 }, 'retrieval_mrr': { warnPct: 2 } },
    };
    expect(metricPolicy('bench.parse.mean', c)).toEqual({ direction: 'higher', directionFrom: 'configured', warnPct: 10, failPct: 50 });
    expect(metricPolicy('bench.other.mean', c)).toEqual({ direction: 'lower', directionFrom: 'inferred', warnPct: 5, failPct: 20 });
    expect(metricPolicy('metric.retrieval_mrr', c)).toMatchObject({ warnPct: 2, direction: 'higher' });
  });
});

describe('judgeDrift', () => {
  const m = (value: number, name = 'bench.parse.mean') => ({ name, value, unit: 'ms' });

  it('has no baseline before minRuns READY runs: passes with a warning', () => {
    const r = judgeDrift(m(5.9), samples([5]), cfg);
    expect(r.verdict).toBe('no-baseline');
    expect(r.samples).toBe(1);
    expect(r.check).toMatchObject({ ok: true, severity: 'warn', message: 'no baseline yet: 1 of 3 READY runs on main' });
    expect(judgeDrift(m(5.9), [], cfg).check.message).toBe('no baseline yet: 0 of 3 READY runs on main');
  });

  it('warns past the warn threshold and explains itself', () => {
    const r = judgeDrift(m(5.9), samples([5, 5, 5, 5, 5]), cfg);
    expect(r.verdict).toBe('warn');
    expect(r.baseline).toBe(5);
    expect(r.changePct).toBeCloseTo(18, 9);
    expect(r.check).toMatchObject({ ok: false, severity: 'warn', check: 'bench.parse.mean within baseline', actual: '5.9ms (+18.0%)' });
    expect(r.check.message).toBe(
      'bench.parse.mean 5.9ms vs baseline 5ms (median of 5 READY runs on main, 2026-11-16..2026-11-20; lower is better (inferred from the name)): +18.0% > warn 10% → WARN',
    );
  });

  it('fails past the fail threshold', () => {
    const r = judgeDrift(m(6.5), samples([5, 5, 5]), cfg);
    expect(r.verdict).toBe('fail');
    expect(r.check.ok).toBe(false);
    expect(r.check.severity).toBeUndefined();
    expect(r.check.message).toMatch(/\+30\.0% > fail 20% → FAIL$/);
  });

  it('is strict as the thresholds are written: warn at MORE than 10 %, fail at MORE than 20 %', () => {
    // Exactly at a threshold is still within it (and 10 % computed in floating point is 10.000000000000002).
    const at10 = judgeDrift(m(5.5), samples([5, 5, 5]), cfg);
    expect(at10.verdict).toBe('ok');
    expect(at10.check.message).toMatch(/\+10\.0% <= warn 10% → OK$/);
    expect(judgeDrift(m(5.51), samples([5, 5, 5]), cfg).verdict).toBe('warn');
    expect(judgeDrift(m(6), samples([5, 5, 5]), cfg).verdict).toBe('warn');
    expect(judgeDrift(m(6.01), samples([5, 5, 5]), cfg).verdict).toBe('fail');
    expect(judgeDrift({ name: 'metric.hit_ratio', value: 0.72 }, samples([0.8, 0.8, 0.8]), cfg).verdict).toBe('ok'); // exactly -10%
  });

  it('without a baseline warns with the exact reason, and blocks under baseline.require', () => {
    const never = judgeDrift(m(5), [], cfg, 'no run has ever been recorded on branch main, so there is no baseline');
    expect(never.check).toMatchObject({ ok: true, severity: 'warn', message: 'no run has ever been recorded on branch main, so there is no baseline' });
    const required = judgeDrift(m(5), samples([5]), { ...cfg, require: true });
    expect(required.check.ok).toBe(false);
    expect(required.check.severity).toBeUndefined();
    expect(required.check.message).toBe('no baseline yet: 1 of 3 READY runs on main; baseline.require is set, so this blocks');
  });

  it('passes a small change and any improvement', () => {
    expect(judgeDrift(m(5.4), samples([5, 5, 5]), cfg).verdict).toBe('ok');
    const better = judgeDrift(m(2), samples([5, 5, 5]), cfg);
    expect(better.verdict).toBe('ok');
    expect(better.check.message).toMatch(/-60\.0% \(not worse\)/);
  });

  it('treats a change inside twice the spread as noise, with enough samples', () => {
    const noisy = [5, 6.2, 4.1, 5.6, 4.4]; // median 5, MAD 0.6 → spread ≈ 0.89
    const r = judgeDrift(m(6.6), samples(noisy), cfg);
    expect(r.verdict).toBe('noise');
    expect(r.check.ok).toBe(true);
    expect(r.check.message).toMatch(/inside the baseline's noise/);
    // Same change with only 4 samples: the guard does not apply.
    expect(judgeDrift(m(6.6), samples(noisy.slice(0, 4)), { ...cfg, minRuns: 3 }).verdict).not.toBe('noise');
    // Far outside the spread: a real regression.
    expect(judgeDrift(m(9), samples(noisy), cfg).verdict).toBe('fail');
  });

  it('follows higher-is-better metrics', () => {
    const name = 'metric.retrieval_mrr';
    expect(judgeDrift({ name, value: 0.7 }, samples([0.8, 0.8, 0.8]), cfg).verdict).toBe('warn'); // -12.5%
    expect(judgeDrift({ name, value: 0.6 }, samples([0.8, 0.8, 0.8]), cfg).verdict).toBe('fail'); // -25%
    expect(judgeDrift({ name, value: 0.95 }, samples([0.8, 0.8, 0.8]), cfg).verdict).toBe('ok');
    const configured = judgeDrift({ name: 'bench.parse.mean', value: 3.9 }, samples([5, 5, 5]), { ...cfg, metrics: { 'bench.parse.mean': { direction: 'higher' } } });
    expect(configured.verdict).toBe('fail');
    expect(configured.inferred).toBe(false);
    expect(configured.check.message).toMatch(/higher is better\)/);
  });

  it('handles a zero baseline without dividing by zero', () => {
    const worse = judgeDrift({ name: 'metric.errors', value: 3 }, samples([0, 0, 0]), cfg);
    expect(worse.verdict).toBe('fail');
    expect(worse.changePct).toBeUndefined();
    expect(worse.check.message).toMatch(/\+3 from a zero baseline/);
    const same = judgeDrift({ name: 'metric.errors', value: 0 }, samples([0, 0, 0]), cfg);
    expect(same).toMatchObject({ verdict: 'ok', changePct: 0 });
    expect(judgeDrift({ name: 'coverage.lines', value: 5, unit: '%' }, samples([0, 0, 0]), cfg).verdict).toBe('ok');
  });
});
