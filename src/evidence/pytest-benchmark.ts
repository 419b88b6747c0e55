/**
 * pytest-benchmark JSON (`--benchmark-json`, `--benchmark-autosave` storage files). Each benchmark
 * becomes `bench.<name>.<stat>` from its `name` (`test_fib_10`, `test_x[0]` → `test_x_0`); stats are
 * in seconds in the file and in ms here; `ops` is per second as given.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric } from './model.js';
import { readJson } from './read.js';
import { benchMetrics, benchName, num, scaled, uniqueName } from './units.js';
import { isObject } from './json-shape.js';


async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  const bad = (what: string): EvidenceError =>
    new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
      hint: 'the file is not a pytest-benchmark JSON report (--benchmark-json)',
    });
  if (!isObject(doc) || !Array.isArray(doc.benchmarks)) throw bad('no "benchmarks" array');
  if (doc.benchmarks.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} lists no benchmarks`, {
      hint: 'no benchmark ran; check the pytest selection and --benchmark-skip/--benchmark-disable',
    });
  }
  const used = new Set<string>();
  const metrics: Metric[] = [];
  doc.benchmarks.forEach((b: unknown, i: number) => {
    if (!isObject(b) || typeof b.name !== 'string' || !isObject(b.stats)) throw bad(`benchmarks[${i}] needs a name and stats`);
    const s = b.stats;
    const mean = num(s.mean);
    if (mean === undefined) throw bad(`benchmark "${b.name}" has no numeric stats.mean`);
    const name = uniqueName(used, benchName(b.name));
    metrics.push(
      ...benchMetrics(
        name,
        {
          mean: mean * 1000,
          median: scaled(num(s.median), 1000),
          min: scaled(num(s.min), 1000),
          max: scaled(num(s.max), 1000),
          stddev: scaled(num(s.stddev), 1000),
          ops: num(s.ops),
        },
        displayPath,
      ),
    );
  });
  return { metrics };
}

export const pytestBenchmarkParser: FormatParser = {
  format: 'pytest-benchmark',
  sniff: (head) => /"benchmarks"\s*:\s*\[/.test(head) && /"machine_info"\s*:/.test(head),
  parse,
};
