import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goBenchParser } from './go-bench.js';

const fx = join(import.meta.dirname, '../../test/fixtures/evidence/bench/go-bench.txt');

describe('go test -bench', () => {
  it('summarises -count repetitions and reads memory and custom columns', async () => {
    const { metrics } = await goBenchParser.parse(fx, { displayPath: 'bench.txt' });
    const byName = new Map(metrics!.map((m) => [m.name, m]));
    expect(byName.get('bench.BenchmarkParse.mean')?.value).toBeCloseTo(0.022, 12);
    expect(byName.get('bench.BenchmarkParse.min')?.value).toBeCloseTo(0.02, 12);
    expect(byName.get('bench.BenchmarkParse.stddev')?.value).toBeGreaterThan(0);
    expect(byName.get('bench.BenchmarkParse.bytes_per_op')).toMatchObject({ value: 4096, unit: 'B' });
    expect(byName.get('bench.BenchmarkParse.allocs_per_op')?.value).toBe(12);
    expect(byName.get('bench.BenchmarkHash/size_1k.mb_per_s')).toMatchObject({ value: 975.03, unit: 'MB/s' });
    expect(byName.get('bench.BenchmarkCustom.widgets/op')).toMatchObject({ value: 3, unit: 'widgets/op' });
  });

  it('sniffs result lines', () => {
    expect(goBenchParser.sniff('goos: linux\nBenchmarkX-8  \t 100\t  5 ns/op\n')).toBe(true);
    expect(goBenchParser.sniff('=== RUN   TestX\n--- PASS: TestX\n')).toBe(false);
  });
});
