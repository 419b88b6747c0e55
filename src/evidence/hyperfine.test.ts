import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hyperfineParser } from './hyperfine.js';

const fx = join(import.meta.dirname, '../../test/fixtures/evidence/bench/hyperfine.json');

describe('hyperfine', () => {
  it('names benchmarks after their command and converts seconds to ms', async () => {
    const { metrics } = await hyperfineParser.parse(fx, { displayPath: 'h.json' });
    const byName = new Map(metrics!.map((m) => [m.name, m.value]));
    expect(byName.get('bench.shipgate_plan.mean')).toBeCloseTo(125, 9);
    expect(byName.get('bench.shipgate_plan.max')).toBeCloseTo(139, 9);
    expect(byName.get('bench.sleep_0_2.median')).toBeCloseTo(200, 9);
    // a null stddev (single run) is left out rather than read as 0
    expect(byName.has('bench.sleep_0_2.stddev')).toBe(false);
  });

  it('sniffs results with command and mean', () => {
    expect(hyperfineParser.sniff('{"results": [{"command": "x", "mean": 1')).toBe(true);
    expect(hyperfineParser.sniff('{"results": [{"name": "x"}]}')).toBe(false);
  });
});
