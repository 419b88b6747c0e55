import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pytestBenchmarkParser } from './pytest-benchmark.js';

const fx = join(import.meta.dirname, '../../test/fixtures/evidence/bench/pytest-benchmark.json');

describe('pytest-benchmark', () => {
  it('turns seconds into ms, keeps ops, makes names addressable and distinct', async () => {
    const { metrics } = await pytestBenchmarkParser.parse(fx, { displayPath: 'bench.json' });
    const byName = new Map(metrics!.map((m) => [m.name, m]));
    expect(byName.get('bench.test_fib_10.mean')).toEqual({ name: 'bench.test_fib_10.mean', value: 0.025, unit: 'ms', source: 'bench.json' });
    expect(byName.get('bench.test_fib_10.median')?.value).toBeCloseTo(0.023, 12);
    expect(byName.get('bench.test_fib_10.ops')).toMatchObject({ value: 40000, unit: 'ops/s' });
    expect(byName.get('bench.test_parse_large_json.mean')?.value).toBeCloseTo(4.5, 12);
    // the second test_fib_10 (another module) stays addressable
    expect(byName.get('bench.test_fib_10_2.mean')?.value).toBeCloseTo(0.015, 12);
    expect(byName.has('bench.test_fib_10_2.ops')).toBe(false);
  });

  it('sniffs benchmarks + machine_info', () => {
    expect(pytestBenchmarkParser.sniff('{"machine_info": {}, "benchmarks": [')).toBe(true);
    expect(pytestBenchmarkParser.sniff('{"context": {}, "benchmarks": [')).toBe(false);
  });
});
