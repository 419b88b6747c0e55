import { describe, expect, it } from 'vitest';
import { benchName, normalizeUnit, summarize, uniqueName } from './units.js';

describe('units', () => {
  it('makes units canonical', () => {
    expect(normalizeUnit(182, 'MB')).toEqual({ value: 182e6, unit: 'B' });
    expect(normalizeUnit(2, 'KiB')).toEqual({ value: 2048, unit: 'B' });
    expect(normalizeUnit(1.5, 's')).toEqual({ value: 1500, unit: 'ms' });
    expect(normalizeUnit(250, 'ns')).toEqual({ value: 0.00025, unit: 'ms' });
    expect(normalizeUnit(65, '%')).toEqual({ value: 65, unit: '%' });
    expect(normalizeUnit(3, 'b')).toEqual({ value: 3, unit: 'b' });
    expect(normalizeUnit(7, undefined)).toEqual({ value: 7 });
  });

  it('makes benchmark names addressable path segments', () => {
    expect(benchName('test_fib_10')).toBe('test_fib_10');
    expect(benchName('BM_Two/8')).toBe('BM_Two/8');
    expect(benchName('sleep 0.1')).toBe('sleep_0_1');
    expect(benchName('test_x[0]')).toBe('test_x_0');
    expect(benchName('...')).toBe('_');
  });

  it('keeps colliding names distinct and summarises repetitions', () => {
    const used = new Set<string>();
    expect([uniqueName(used, 'a'), uniqueName(used, 'a'), uniqueName(used, 'a')]).toEqual(['a', 'a_2', 'a_3']);
    expect(summarize([2, 4])).toEqual({ mean: 3, median: 3, min: 2, max: 4, stddev: 1 });
    expect(summarize([5])).toEqual({ mean: 5, median: 5, min: 5, max: 5 });
  });
});
