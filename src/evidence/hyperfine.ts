/**
 * hyperfine `--export-json`: one entry per command, times in seconds. The benchmark name is the
 * command (`sleep 0.1` → `bench.sleep_0_1.mean`); with `--command-name` it is that name.
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
      hint: 'the file is not a hyperfine --export-json report',
    });
  if (!isObject(doc) || !Array.isArray(doc.results)) throw bad('no "results" array');
  if (doc.results.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} lists no commands`, {
      hint: 'hyperfine measured nothing; check its command line',
    });
  }
  const used = new Set<string>();
  const metrics: Metric[] = [];
  doc.results.forEach((r: unknown, i: number) => {
    if (!isObject(r) || typeof r.command !== 'string') throw bad(`results[${i}] has no command`);
    const mean = num(r.mean);
    if (mean === undefined) throw bad(`results[${i}] ("${r.command}") has no numeric mean`);
    const name = uniqueName(used, benchName(r.command));
    const stats = {
      mean: mean * 1000,
      median: scaled(num(r.median), 1000),
      min: scaled(num(r.min), 1000),
      max: scaled(num(r.max), 1000),
      stddev: scaled(num(r.stddev), 1000),
    };
    metrics.push(...benchMetrics(name, stats, displayPath));
  });
  return { metrics };
}

export const hyperfineParser: FormatParser = {
  format: 'hyperfine',
  sniff: (head) => /"results"\s*:\s*\[/.test(head) && /"command"\s*:/.test(head) && /"mean"\s*:/.test(head),
  parse,
};
