/**
 * criterion.rs results, two shapes:
 * - `target/criterion/<name>/new/estimates.json`: point estimates in ns, keys CapitalCase in 0.2
 *   (`Mean`, `Median`, `StdDev`) and snake_case from 0.3 (`mean`, `median`, `std_dev`). The file does
 *   not hold the benchmark's name: it is taken from the path (`…/criterion/fib 20/new/…` →
 *   `bench.fib_20.mean`; a group `g/b` keeps its slash), else from the file name.
 * - cargo-criterion `--message-format=json`: NDJSON messages; each `benchmark-complete` gives `id`
 *   and estimates with their unit. `measured_values` are per-sample totals over `iteration_count`
 *   iterations, so the estimates (not the raw values) are used: mean, median, and `typical`.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric } from './model.js';
import { parseJsonText, readText } from './read.js';
import { benchMetrics, benchName, num, timeFactor, uniqueName } from './units.js';
import { isObject, type Json } from './json-shape.js';


/** Benchmark name from `…/criterion/<name…>/(new|base|change)/estimates.json`. */
export function nameFromPath(displayPath: string): string {
  const parts = displayPath.split(/[\\/]/);
  const c = parts.lastIndexOf('criterion');
  const tail = parts.length - 2; // index of new|base|change
  if (c !== -1 && tail > c + 1 && /^(new|base|change)$/.test(parts[tail] ?? '')) {
    return benchName(parts.slice(c + 1, tail).join('/'));
  }
  if (tail >= 1 && /^(new|base|change)$/.test(parts[tail] ?? '')) return benchName(parts[tail - 1]!);
  return benchName((parts[parts.length - 1] ?? 'estimates').replace(/\.json$/i, ''));
}

function estimatesMetrics(doc: Json, displayPath: string): Metric[] {
  const pick = (...keys: string[]): number | undefined => {
    for (const k of keys) {
      const e = doc[k];
      if (isObject(e)) return num(e.point_estimate);
    }
    return undefined;
  };
  const mean = pick('mean', 'Mean');
  if (mean === undefined) {
    throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: no mean.point_estimate`, {
      hint: 'point the gate at target/criterion/<bench>/new/estimates.json',
    });
  }
  const ns = 1e-6;
  return benchMetrics(
    nameFromPath(displayPath),
    {
      mean: mean * ns,
      median: (pick('median', 'Median') ?? NaN) * ns,
      stddev: (pick('std_dev', 'StdDev') ?? NaN) * ns,
    },
    displayPath,
  );
}

function messageMetrics(messages: Json[], displayPath: string): Metric[] {
  const used = new Set<string>();
  const metrics: Metric[] = [];
  for (const m of messages) {
    if (m.reason !== 'benchmark-complete') continue;
    if (typeof m.id !== 'string') throw bad(displayPath, 'a benchmark-complete message has no id');
    const id = m.id;
    const est = (key: string): number | undefined => {
      const e = m[key];
      if (!isObject(e)) return undefined;
      const v = num(e.estimate);
      const unit = typeof e.unit === 'string' ? e.unit : typeof m.unit === 'string' ? m.unit : 'ns';
      const f = timeFactor(unit);
      if (v === undefined) return undefined;
      if (f === undefined) throw bad(displayPath, `benchmark "${id}" has non-time unit "${unit}"`);
      return v * f;
    };
    const mean = est('mean');
    if (mean === undefined) throw bad(displayPath, `benchmark "${id}" has no mean estimate`);
    const name = uniqueName(used, benchName(id));
    metrics.push(...benchMetrics(name, { mean, median: est('median') }, displayPath));
    const typical = est('typical');
    if (typical !== undefined) metrics.push({ name: `bench.${name}.typical`, value: typical, unit: 'ms', source: displayPath });
  }
  if (metrics.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} has no benchmark-complete message`, {
      hint: 'no benchmark finished; check the cargo criterion output',
    });
  }
  return metrics;
}

function bad(displayPath: string, what: string): EvidenceError {
  return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
    hint: 'the file is neither criterion estimates.json nor cargo-criterion --message-format=json output',
  });
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const text = await readText(path, opts);
  const trimmed = text.trim();
  // One JSON document (estimates.json, or a single pretty-printed message) or NDJSON messages.
  const oneDoc = !/\}\s*\r?\n\s*\{/.test(trimmed);
  const docs: unknown[] = oneDoc
    ? [parseJsonText(text, displayPath)]
    : text
        .split(/\r?\n/)
        .map((l, i) => (l.trim() === '' ? undefined : parseJsonText(l, displayPath, { line: i + 1 })))
        .filter((d) => d !== undefined);
  const objects = docs.map((d, i) => {
    if (!isObject(d)) throw bad(displayPath, `document ${i + 1} is not a JSON object`);
    return d;
  });
  const first = objects[0]!;
  if (oneDoc && first.reason === undefined) return { metrics: estimatesMetrics(first, displayPath) };
  return { metrics: messageMetrics(objects, displayPath) };
}

export const criterionParser: FormatParser = {
  format: 'criterion',
  sniff: (head) =>
    (/"point_estimate"\s*:/.test(head) && /"confidence_interval"\s*:/.test(head)) ||
    /"reason"\s*:\s*"(benchmark-complete|group-complete)"/.test(head),
  parse,
};
