import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { criterionParser, nameFromPath } from './criterion.js';

const dir = join(import.meta.dirname, '../../test/fixtures/evidence/bench');

describe('criterion', () => {
  it('reads 0.3+ snake_case estimates and names the benchmark from its path', async () => {
    const rel = 'target/criterion/fib 20/new/estimates.json';
    const { metrics } = await criterionParser.parse(join(dir, rel), { displayPath: rel });
    const byName = new Map(metrics!.map((m) => [m.name, m.value]));
    expect(byName.get('bench.fib_20.mean')).toBeCloseTo(0.0205, 12);
    expect(byName.get('bench.fib_20.median')).toBeCloseTo(0.0202, 12);
    expect(byName.get('bench.fib_20.stddev')).toBeCloseTo(0.00021, 12);
  });

  it('reads 0.2 CapitalCase estimates of a grouped benchmark', async () => {
    const rel = 'target/criterion/group/parse/new/estimates.json';
    const { metrics } = await criterionParser.parse(join(dir, rel), { displayPath: rel });
    expect(metrics!.find((m) => m.name === 'bench.group/parse.mean')?.value).toBeCloseTo(0.00105, 12);
  });

  it('reads cargo-criterion NDJSON estimates, not the per-sample totals', async () => {
    const { metrics } = await criterionParser.parse(join(dir, 'cargo-criterion.ndjson'), { displayPath: 'c.json' });
    const byName = new Map(metrics!.map((m) => [m.name, m.value]));
    expect(byName.get('bench.Queries/_LIGHT_Bam_query_all.mean')).toBeCloseTo(0.0124, 12);
    expect(byName.get('bench.Queries/_LIGHT_Bam_query_all.typical')).toBeCloseTo(0.0125, 12);
    expect(byName.get('bench.fib_20.median')).toBeCloseTo(0.00255, 12);
    expect(byName.size).toBe(6);
  });

  it('derives names from paths', () => {
    expect(nameFromPath('target/criterion/a b/new/estimates.json')).toBe('a_b');
    expect(nameFromPath('out/x/base/estimates.json')).toBe('x');
    expect(nameFromPath('estimates.json')).toBe('estimates');
  });

  it('sniffs estimates and cargo-criterion messages', () => {
    expect(criterionParser.sniff('{"mean":{"confidence_interval":{},"point_estimate":1')).toBe(true);
    expect(criterionParser.sniff('{"reason":"benchmark-complete","id":"x"')).toBe(true);
    expect(criterionParser.sniff('{"reason":"compiler-artifact"}')).toBe(false);
  });
});
