/**
 * `go test -bench` text output. Each result line is `Benchmark<Name>[-GOMAXPROCS] <N> <value> <unit>…`.
 * The name keeps the `Benchmark` prefix and drops the `-N` GOMAXPROCS suffix
 * (`BenchmarkFib10-8` → `bench.BenchmarkFib10.mean`; sub-benchmarks keep their slashes).
 * Stats: `ns/op` → `mean` (ms) — with `-count=N` the repetitions are summarised into mean, median,
 * min, max, stddev; `B/op` → `bytes_per_op` (B); `allocs/op` → `allocs_per_op`; `MB/s` →
 * `mb_per_s`; a custom `b.ReportMetric` unit → its sanitised unit name, value averaged over
 * repetitions, unit kept.
 */
import { mean } from 'simple-statistics';
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric } from './model.js';
import { fileSize, readLines } from './read.js';
import { benchMetrics, benchName, summarize } from './units.js';

const RESULT = /^(Benchmark\S*)\s+(\d+)\s+(.+)$/;

interface Acc {
  nsPerOp: number[];
  extra: Map<string, { unit: string; values: number[] }>;
}

const EXTRA: Record<string, { stat: string; unit?: string }> = {
  'B/op': { stat: 'bytes_per_op', unit: 'B' },
  'allocs/op': { stat: 'allocs_per_op' },
  'MB/s': { stat: 'mb_per_s', unit: 'MB/s' },
};

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  if ((await fileSize(path, displayPath)) === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} is empty (0 bytes)`, {
      hint: 'capture the output of go test -bench into this file',
    });
  }
  const benches = new Map<string, Acc>();
  for await (const { text, lineNo } of readLines(path, { displayPath })) {
    const m = RESULT.exec(text.trim());
    if (!m) continue; // goos/pkg headers, PASS, ok, log output
    const name = benchName(m[1]!.replace(/-\d+$/, ''));
    const fields = m[3]!.trim().split(/\s+/);
    if (fields.length % 2 !== 0) {
      throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${lineNo}: result line has an odd number of value/unit fields`, {
        line: lineNo,
        hint: 'the line was cut or interleaved with other output',
      });
    }
    const acc: Acc = benches.get(name) ?? { nsPerOp: [], extra: new Map() };
    benches.set(name, acc);
    for (let i = 0; i < fields.length; i += 2) {
      const value = Number(fields[i]);
      const unit = fields[i + 1]!;
      if (!Number.isFinite(value)) {
        throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${lineNo}: "${fields[i]}" before ${unit} is not a number`, {
          line: lineNo,
        });
      }
      if (unit === 'ns/op') {
        acc.nsPerOp.push(value);
        continue;
      }
      const known = EXTRA[unit];
      const stat = known?.stat ?? benchName(unit);
      const slot = acc.extra.get(stat) ?? { unit: known ? (known.unit ?? '') : unit, values: [] };
      slot.values.push(value);
      acc.extra.set(stat, slot);
    }
  }
  if (benches.size === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} has no benchmark result lines`, {
      hint: 'run go test with -bench=<regexp> (and -run=^$ to skip tests) and capture its output here',
    });
  }
  const metrics: Metric[] = [];
  for (const [name, acc] of benches) {
    metrics.push(...benchMetrics(name, summarize(acc.nsPerOp.map((ns) => ns * 1e-6)), displayPath));
    for (const [stat, slot] of acc.extra) {
      metrics.push({ name: `bench.${name}.${stat}`, value: mean(slot.values), ...(slot.unit ? { unit: slot.unit } : {}), source: displayPath });
    }
  }
  return { metrics };
}

export const goBenchParser: FormatParser = {
  format: 'go-bench',
  sniff: (head) => /^Benchmark\S*\s+\d+\s+[\d.e+-]+ ns\/op/m.test(head),
  parse,
};
