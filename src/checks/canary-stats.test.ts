/**
 * The canary statistics against values computed independently: exact p-values by enumerating every
 * arrangement (python3, itertools), normal approximations with math.erfc, Hodges–Lehmann by hand.
 */
import { describe, expect, it } from 'vitest';
import { exactUpperTail, hodgesLehmann, judgeCanary, mannWhitney, median, type CanaryLimits } from './canary-stats.js';

const limits: CanaryLimits = { maxIncrease: 2, alpha: 0.05, minSamples: 20 };

describe('Mann-Whitney U', () => {
  it('small samples without ties: exact, as enumerating all C(9,5) = 126 arrangements gives', () => {
    // python3: 4 of 126 arrangements have U >= 18
    const r = mannWhitney([1.1, 2.3, 3.0, 4.2, 5.5], [3.3, 6.1, 7.0, 8.4]);
    expect(r).toMatchObject({ u: 18, method: 'exact', ties: false });
    expect(r.pValue).toBeCloseTo(4 / 126, 12);
    // 44 of C(13,6) = 1716
    const s = mannWhitney([2, 4, 6, 8, 10, 12], [5, 9, 11, 13, 14, 15, 16]);
    expect(s.u).toBe(35);
    expect(s.pValue).toBeCloseTo(44 / 1716, 12);
  });

  it('the exact tail for 20 + 20 matches a count by recursion over C(40,20) = 137,846,528,820 arrangements', () => {
    expect(exactUpperTail(20, 20, 200)).toBeCloseTo(0.5053341834378735, 12);
    expect(exactUpperTail(20, 20, 260)).toBeCloseTo(0.05403853695675527, 12);
    expect(exactUpperTail(20, 20, 300)).toBeCloseTo(0.0030724778246178836, 12);
    expect(exactUpperTail(20, 20, 0)).toBe(1);
    expect(exactUpperTail(20, 20, 400)).toBeCloseTo(1 / 137_846_528_820, 20);
  });

  it('ties: average ranks and the tie-corrected variance, normal approximation with continuity correction', () => {
    const b = Array.from({ length: 3 }, () => [1, 2, 2, 3, 3, 3, 4, 5, 5, 6]).flat();
    const c = Array.from({ length: 3 }, () => [2, 3, 4, 4, 5, 6, 6, 7, 7, 8]).flat();
    const r = mannWhitney(b, c);
    expect(r).toMatchObject({ u: 688.5, method: 'normal', ties: true });
    expect(r.z).toBeCloseTo(3.5589201271866164, 10);
    expect(r.pValue).toBeCloseTo(0.00018619137408946, 8);
  });

  it('more than 50 values without ties: the normal approximation', () => {
    const r = mannWhitney(
      Array.from({ length: 30 }, (_, i) => i / 10),
      Array.from({ length: 25 }, (_, i) => i / 10 + 0.35),
    );
    expect(r).toMatchObject({ u: 400, method: 'normal' });
    expect(r.pValue).toBeCloseTo(0.33939106825217163, 6);
  });

  it('identical samples: no evidence either way; every value equal: p = 1', () => {
    const xs = Array.from({ length: 30 }, (_, i) => i);
    expect(mannWhitney(xs, xs).pValue).toBeGreaterThan(0.5);
    expect(mannWhitney(xs, xs).u).toBe(450);
    expect(mannWhitney(Array(30).fill(5), Array(30).fill(5)).pValue).toBe(1);
  });

  it('the canary faster: one-sided, so a large p', () => {
    expect(mannWhitney([5, 6, 7, 8, 9], [1, 2, 3, 4]).pValue).toBeCloseTo(1, 12);
  });

  it('HOSTILE: an empty sample has no p-value to offer (p = 1, method none)', () => {
    expect(mannWhitney([], [1, 2])).toMatchObject({ pValue: 1, method: 'none', nBaseline: 0 });
    expect(mannWhitney([1], [])).toMatchObject({ pValue: 1, method: 'none', nCanary: 0 });
  });
});

describe('Hodges–Lehmann and medians', () => {
  it('the median of every pairwise difference', () => {
    // c − b: 1 0 −1 3 2 1 8 7 6 → sorted −1 0 1 1 2 3 6 7 8 → 2
    expect(hodgesLehmann([1, 2, 3], [2, 4, 9])).toEqual({ shift: 2, subsampled: false });
    // an even count of pairs takes the middle two: (1 + 2) / 2
    expect(hodgesLehmann([0, 1], [2, 3]).shift).toBe(2);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('large samples: a deterministic subsample, within a few spacings of the true shift', () => {
    const b = Array.from({ length: 5000 }, (_, i) => i);
    const c = b.map((x) => x + 10);
    const a = hodgesLehmann(b, c);
    expect(a.subsampled).toBe(true);
    expect(Math.abs(a.shift - 10)).toBeLessThanOrEqual(5);
    expect(hodgesLehmann(b, c)).toEqual(a);
  });

  it('HOSTILE: an empty side has no shift', () => {
    expect(hodgesLehmann([], [1]).shift).toBeNaN();
  });
});

describe('judgeCanary', () => {
  const ramp = (n: number, from: number, step: number) => Array.from({ length: n }, (_, i) => from + i * step);

  it('HOSTILE: three times slower and significant fails, naming the p-value and the effect', () => {
    const j = judgeCanary({ baseline: ramp(30, 1, 0.01), canary: ramp(30, 3, 0.01) }, limits, 'ms');
    expect(j.verdict).toBe('fail');
    expect(j.summary.ratio).toBeCloseTo(3.145 / 1.145, 6);
    expect(j.reasons[0]).toMatch(/worse beyond the limit: median 3\.15 ms against 1\.15 ms, shift \+2\.00 ms \(Hodges–Lehmann\): 2\.75× the baseline, limit 2×; significant, p < 1e-6/);
  });

  it('honest: the same distribution passes', () => {
    const xs = ramp(40, 1, 0.013);
    const j = judgeCanary({ baseline: xs, canary: [...xs].reverse() }, limits);
    expect(j.verdict).toBe('pass');
    expect(j.summary).toMatchObject({ shift: 0, ratio: 1 });
    expect(j.reasons[0]).toMatch(/^no worse beyond what chance explains/);
  });

  it('marginal: significantly worse but within the limit', () => {
    // 60 + 60 values, +1 on a median of 10.48: 1.095×, p ≈ 1.8e-21 (python3, math.erfc)
    const b = Array.from({ length: 60 }, (_, i) => 10 + (i % 10) * 0.1 + i * 0.001);
    const j = judgeCanary({ baseline: b, canary: b.map((x) => x + 1) }, limits);
    expect(j).toMatchObject({ verdict: 'marginal', marginal: 'significant-within-limit' });
    expect(j.summary.pValue).toBeLessThan(1e-15);
    expect(j.summary.ratio).toBeCloseTo(1.0954244, 6);
  });

  it('marginal: beyond the limit but not significant (p = 0.2103, exact)', () => {
    const j = judgeCanary({ baseline: [1, 2, 10, 40, 3], canary: [3.5, 5, 30, 50, 2.5] }, { ...limits, maxIncrease: 1.5, minSamples: 5 });
    expect(j).toMatchObject({ verdict: 'marginal', marginal: 'beyond-limit-not-significant' });
    expect(j.summary.pValue).toBeCloseTo(0.21031746031746032, 12);
    expect(j.summary.ratio).toBeCloseTo(5 / 3, 12);
    expect(j.reasons[0]).toMatch(/not significant/);
  });

  it('HOSTILE: too few samples fail, whatever they say; so does an empty side', () => {
    const j = judgeCanary({ baseline: ramp(19, 1, 0.1), canary: ramp(30, 1, 0.1) }, limits);
    expect(j).toMatchObject({ verdict: 'fail', tooFew: true });
    expect(j.reasons[0]).toMatch(/too few samples to compare: baseline 19, canary 30, at least 20 each/);
    expect(judgeCanary({ baseline: ramp(30, 1, 0.1), canary: [] }, limits)).toMatchObject({ verdict: 'fail', tooFew: true });
    expect(judgeCanary({ baseline: [], canary: [] }, { ...limits, minSamples: 1 })).toMatchObject({ verdict: 'fail', tooFew: true });
  });

  it('HOSTILE: an error rate beyond the limit fails a canary that is just as fast; the same errors below the limit pass', () => {
    const xs = ramp(40, 1, 0.01);
    const errors = { baseline: { attempted: 40, failed: 0 }, canary: { attempted: 42, failed: 2 } };
    const broken = judgeCanary({ baseline: xs, canary: xs, errors }, { ...limits, errorRate: { op: '<', value: 0.01 } });
    expect(broken).toMatchObject({ verdict: 'fail', errorLimitBroken: true });
    expect(broken.reasons[0]).toBe("the canary's error rate is 4.76% (2 of 42 failed), limit < 1%");
    expect(judgeCanary({ baseline: xs, canary: xs, errors }, { ...limits, errorRate: { op: '<', value: 0.05 } })).toMatchObject({ verdict: 'pass', errorLimitBroken: false });
    // `<` and `<=` at the limit itself
    const atLimit = { baseline: errors.baseline, canary: { attempted: 100, failed: 1 } };
    expect(judgeCanary({ baseline: xs, canary: xs, errors: atLimit }, { ...limits, errorRate: { op: '<', value: 0.01 } }).verdict).toBe('fail');
    expect(judgeCanary({ baseline: xs, canary: xs, errors: atLimit }, { ...limits, errorRate: { op: '<=', value: 0.01 } }).verdict).toBe('pass');
  });

  it('HOSTILE: a canary never asked has no error rate to pass on', () => {
    const j = judgeCanary({ baseline: ramp(30, 1, 0.1), canary: [], errors: { baseline: { attempted: 30, failed: 0 }, canary: { attempted: 0, failed: 0 } } }, { ...limits, errorRate: { op: '<', value: 0.01 } });
    expect(j).toMatchObject({ verdict: 'fail', errorLimitBroken: true, tooFew: true });
    expect(j.reasons[0]).toMatch(/never asked/);
  });

  it('a baseline median of 0 has no ratio: a significant increase counts as beyond the limit, no change passes', () => {
    const zeros = Array(30).fill(0) as number[];
    const j = judgeCanary({ baseline: zeros, canary: Array(30).fill(0.02) as number[] }, limits);
    expect(j.verdict).toBe('fail');
    expect(j.summary.ratio).toBeUndefined();
    expect(judgeCanary({ baseline: zeros, canary: zeros }, limits).verdict).toBe('pass');
  });
});
