import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vitestBenchParser } from './vitest-bench.js';

const fx = join(import.meta.dirname, '../../test/fixtures/evidence/bench/vitest-bench.json');

describe('vitest bench --outputJson', () => {
  it('names benchmarks by describe path and reads ms, sd and hz', async () => {
    const { metrics } = await vitestBenchParser.parse(fx, { displayPath: 'bench.json' });
    const byName = new Map(metrics!.map((m) => [m.name, m]));
    expect(byName.get('bench.parse/parse_large.mean')).toMatchObject({ value: 4.167, unit: 'ms' });
    expect(byName.get('bench.parse/parse_large.stddev')?.value).toBe(0.2);
    expect(byName.get('bench.parse/parse_large.ops')).toMatchObject({ value: 240, unit: 'ops/s' });
    expect(byName.get('bench.tokenize.median')?.value).toBe(0.24);
  });

  it('sniffs files/groups/benchmarks', () => {
    expect(vitestBenchParser.sniff('{"files": [{"filepath": "a", "groups": [{"benchmarks": [')).toBe(true);
    expect(vitestBenchParser.sniff('{"files": []}')).toBe(false);
  });
});
