import { describe, expect, it } from 'vitest';
import { band, median, outside } from './bands.js';
import { whyBlocked } from './why.js';
import type { Decision } from '../../decide/types.js';

describe('baseline bands', () => {
  it('median and scaled MAD; no band under 3 samples; a point far outside is marked', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(band([1, 2])).toBeNull();
    const b = band([100, 101, 99, 100, 102])!;
    expect(b.median).toBe(100);
    expect(b.spread).toBeCloseTo(1.4826);
    expect(outside(101, b)).toBe(false);
    expect(outside(170, b)).toBe(true);
    expect(outside(170, null)).toBe(false);
    // No spread at all: only a different value is outside.
    const flat = band([5, 5, 5])!;
    expect(outside(5, flat)).toBe(false);
    expect(outside(6, flat)).toBe(true);
  });
});

const decision = (extra: Partial<Decision>): Decision =>
  ({ result: 'BLOCKED', blockers: [], warnings: [], gates: [], requirements: [], ...extra }) as unknown as Decision;

describe('why blocked', () => {
  it('says it in one sentence from the recorded blockers, and never invents one', () => {
    expect(whyBlocked(decision({ blockers: ['unit: 2 of 4 tests failed', 'sign-off: awaiting approval'] }), 'finished')).toBe(
      'BLOCKED because unit: 2 of 4 tests failed; sign-off: awaiting approval.',
    );
    expect(whyBlocked(decision({ blockers: ['a', 'b', 'c', 'd', 'e'] }), 'finished')).toBe('BLOCKED because a; b; c; and 2 more.');
    expect(whyBlocked(decision({ blockers: [] }), 'finished')).toBe('BLOCKED (the decision lists no blocker).');
    expect(whyBlocked(decision({ result: 'READY' }), 'finished')).toMatch(/^READY/);
    expect(whyBlocked(decision({ result: 'READY', partial: true, selection: '--only unit' }), 'finished')).toContain('not a last-good release');
    expect(whyBlocked(decision({ interrupted: true }), 'interrupted')).toContain('interrupted');
    expect(whyBlocked(null, 'running')).toContain('still running');
    expect(whyBlocked(null, 'interrupted')).toContain('no recorded decision');
  });
});
