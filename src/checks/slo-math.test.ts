import { describe, expect, it } from 'vitest';
import { budgetRemaining, burnRate, burnWindows, DEFAULT_BURN_PAIRS, judgeBurnPair, promDuration } from './slo-math.js';

describe('error budget arithmetic', () => {
  it('a 99.9% objective allows 0.1% bad: 0.05% bad leaves half the budget and burns at 0.5×', () => {
    expect(budgetRemaining(0.0005, 0.999)).toBeCloseTo(0.5, 10);
    expect(burnRate(0.0005, 0.999)).toBeCloseTo(0.5, 10);
  });
  it('spending more than the budget goes below zero (overspent), not to zero', () => {
    expect(budgetRemaining(0.003, 0.999)).toBeCloseTo(-2, 10);
  });
  it('no bad events leave the whole budget', () => {
    expect(budgetRemaining(0, 0.99)).toBe(1);
  });
  it('refuses an objective of 100% (no budget to spend) or 0%', () => {
    expect(() => budgetRemaining(0, 1)).toThrow(RangeError);
    expect(() => burnRate(0, 0)).toThrow(RangeError);
  });
  it('a burn pair fails only when both windows burn faster than its factor', () => {
    const pair = DEFAULT_BURN_PAIRS[0]!;
    expect(judgeBurnPair(pair, 20, 20).burning).toBe(true);
    // A burst that is over (long window high, short window calm) and a fresh blip (short only) do not fail.
    expect(judgeBurnPair(pair, 20, 2).burning).toBe(false);
    expect(judgeBurnPair(pair, 2, 20).burning).toBe(false);
    // Exactly at the factor is not faster than it.
    expect(judgeBurnPair(pair, 14.4, 14.4).burning).toBe(false);
  });
  it('the default pairs need five windows, each once', () => {
    expect(burnWindows(DEFAULT_BURN_PAIRS).map(promDuration)).toEqual(['3d', '6h', '1h', '30m', '5m']);
  });
  it('writes PromQL ranges in whole units', () => {
    expect([30 * 86_400_000, 90 * 60_000, 1500, 45_000].map(promDuration)).toEqual(['30d', '90m', '2s', '45s']);
  });
});
