import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { googleBenchmarkParser } from './google-benchmark.js';

const fx = join(import.meta.dirname, '../../test/fixtures/evidence/bench/google-benchmark.json');

describe('google benchmark', () => {
  it('converts time units, summarises repetitions, prefers aggregates, drops errored runs', async () => {
    const { metrics } = await googleBenchmarkParser.parse(fx, { displayPath: 'gb.json' });
    const byName = new Map(metrics!.map((m) => [m.name, m.value]));
    expect(byName.get('bench.BM_Parse/8.mean')).toBeCloseTo(0.0015, 12);
    expect(byName.get('bench.BM_Two.mean')).toBeCloseTo(0.008, 12);
    expect(byName.get('bench.BM_Two.min')).toBeCloseTo(0.007, 12);
    expect(byName.get('bench.BM_Two.max')).toBeCloseTo(0.009, 12);
    expect(byName.get('bench.BM_Rep.mean')).toBe(3);
    expect(byName.get('bench.BM_Rep.stddev')).toBeCloseTo(1.4142, 9);
    expect(byName.has('bench.BM_Rep.min')).toBe(false);
    expect([...byName.keys()].some((k) => k.includes('BM_Broken'))).toBe(false);
    expect(metrics!.every((m) => m.unit === 'ms')).toBe(true);
  });

  it('sniffs context + benchmarks', () => {
    expect(googleBenchmarkParser.sniff('{"context": {"date": "x"}, "benchmarks": [')).toBe(true);
    expect(googleBenchmarkParser.sniff('{"machine_info": {}, "context": {}, "benchmarks": [')).toBe(false);
  });
});
