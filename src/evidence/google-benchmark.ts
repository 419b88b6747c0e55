/**
 * Google Benchmark `--benchmark_format=json` / `--benchmark_out`. Names are the run name
 * (`BM_Two/8` → `bench.BM_Two/8.mean`). Times are `real_time` (wall clock) in the entry's
 * `time_unit`, converted to ms.
 * With `--benchmark_repetitions` the tool writes aggregates (`run_type: aggregate`, `aggregate_name`
 * mean/median/stddev): those are used as is. Repeated iteration entries without aggregates are
 * summarised here (mean, median, min, max, stddev over the repetitions). Entries that report
 * `error_occurred` contribute nothing, so an expectation on them fails as missing.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric } from './model.js';
import { readJson } from './read.js';
import type { BenchStats } from './units.js';
import { benchMetrics, benchName, groupInOrder, num, summarize, timeFactor } from './units.js';
import { isObject } from './json-shape.js';


interface Entry {
  run: string;
  aggregate?: string;
  ms: number;
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  const bad = (what: string): EvidenceError =>
    new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
      hint: 'the file is not a Google Benchmark JSON report (--benchmark_format=json)',
    });
  if (!isObject(doc) || !isObject(doc.context) || !Array.isArray(doc.benchmarks)) throw bad('needs "context" and a "benchmarks" array');
  if (doc.benchmarks.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} lists no benchmarks`, {
      hint: 'no benchmark ran; check --benchmark_filter',
    });
  }
  const entries: Entry[] = [];
  doc.benchmarks.forEach((b: unknown, i: number) => {
    if (!isObject(b) || typeof b.name !== 'string') throw bad(`benchmarks[${i}] has no name`);
    if (b.error_occurred === true) return;
    const unit = typeof b.time_unit === 'string' ? b.time_unit : 'ns';
    const factor = timeFactor(unit);
    if (factor === undefined) throw bad(`benchmark "${b.name}" has unknown time_unit "${unit}"`);
    const aggregate = b.run_type === 'aggregate' && typeof b.aggregate_name === 'string' ? b.aggregate_name : undefined;
    const real = num(b.real_time);
    if (real === undefined) {
      // Some aggregates (cv) are ratios without real_time meaning; anything else must have it.
      if (aggregate !== undefined) return;
      throw bad(`benchmark "${b.name}" has no numeric real_time`);
    }
    const run = typeof b.run_name === 'string' ? b.run_name : b.name;
    entries.push({ run, aggregate, ms: real * factor });
  });

  const metrics: Metric[] = [];
  for (const [run, group] of groupInOrder(entries, (e) => e.run)) {
    const aggregates = group.filter((e) => e.aggregate !== undefined);
    let stats: BenchStats;
    if (aggregates.length > 0) {
      stats = {};
      for (const a of aggregates) {
        if (a.aggregate === 'mean' || a.aggregate === 'median' || a.aggregate === 'stddev') stats[a.aggregate] = a.ms;
      }
    } else {
      stats = summarize(group.map((e) => e.ms));
    }
    metrics.push(...benchMetrics(benchName(run), stats, displayPath));
  }
  return { metrics };
}

export const googleBenchmarkParser: FormatParser = {
  format: 'google-benchmark',
  sniff: (head) => /"context"\s*:\s*\{/.test(head) && /"benchmarks"\s*:\s*\[/.test(head) && !/"machine_info"\s*:/.test(head),
  parse,
};
