import { describe, expect, it } from 'vitest';
import { DEFAULT_BURN_PAIRS } from './slo-math.js';
import { badShareQuery, normalizeSlos, type SloSpec } from './slos.js';

const ratioSlo = { prometheus: 'http://127.0.0.1:9090', good: 'req_total{code="200"}', total: 'req_total', objective: '99.9%' };

describe('slos normalisation', () => {
  it("each SLO's own budget policy wins over the project's, which wins over the defaults", () => {
    const { slos } = normalizeSlos({ a: ratioSlo, b: { ...ratioSlo, budget: { 'min-remaining': '10%', 'burn-rates': false } } }, { 'min-remaining': '50%', 'fix-label': 'fix' });
    expect(slos.map((s) => [s.id, s.minRemaining, s.pairs.length, s.fixLabel])).toEqual([
      ['a', 0.5, DEFAULT_BURN_PAIRS.length, 'fix'],
      ['b', 0.1, 0, 'fix'],
    ]);
    expect(slos[0]).toMatchObject({ kind: 'ratio', objective: 0.999, windowMs: 30 * 86_400_000, onNoData: 'fail', minEvents: 1 });
  });
  it('a time limit is compared in the unit the query answers in (seconds unless told)', () => {
    const { slos } = normalizeSlos({
      s: { prometheus: 'http://x', query: 'p95_seconds', max: '200ms' },
      m: { prometheus: 'http://x', query: 'p95_ms', max: '200ms', unit: 'ms' },
    });
    expect(slos.map((s) => (s.kind === 'threshold' ? s.max : undefined))).toEqual([0.2, 200]);
    // A threshold SLO without an objective allows 1% of its points above max.
    expect(slos[0]!.objective).toBe(0.99);
  });
});

describe('bad share queries', () => {
  const [good] = normalizeSlos({ a: ratioSlo }).slos as [SloSpec];
  it('good/total: one minus the good share of the increase over the window', () => {
    // No good series while total has data is every event bad, not no data.
    expect(badShareQuery(good, 3_600_000)).toBe('1 - ((sum(increase(req_total{code="200"}[1h])) or on() (0 * sum(increase(req_total[1h])))) / sum(increase(req_total[1h])))');
  });
  it('bad/total: no bad series is zero bad events only while total has data (never a silent zero)', () => {
    const [bad] = normalizeSlos({ a: { prometheus: 'http://x', bad: 'req_total{code="500"}', total: 'req_total', objective: '99%' } }).slos as [SloSpec];
    expect(badShareQuery(bad, 300_000)).toBe('(sum(increase(req_total{code="500"}[5m])) or on() (0 * sum(increase(req_total[5m])))) / sum(increase(req_total[5m]))');
  });
  it('threshold: the share of evaluation points above max', () => {
    const [t] = normalizeSlos({ p: { prometheus: 'http://x', query: 'p95_seconds', max: '200ms', window: '7d' } }).slos as [SloSpec];
    expect(badShareQuery(t, 7 * 86_400_000)).toBe('avg_over_time(((p95_seconds) > bool 0.2)[7d:605s])');
  });
});
