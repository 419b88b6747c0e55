/**
 * `vitest bench --outputJson` (tinybench statistics, in ms): `files[].groups[].benchmarks[]`.
 * A benchmark is named `<describe path>/<name>` with the file part of the group's `fullName`
 * dropped (`math.bench.ts > math` + `add` → `bench.math/add.mean`), or just `<name>` for a
 * benchmark outside any describe. `hz` becomes `ops`, `sd` becomes `stddev`.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, Metric } from './model.js';
import { readJson } from './read.js';
import { benchMetrics, benchName, num, uniqueName } from './units.js';
import { isObject } from './json-shape.js';


async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  const bad = (what: string): EvidenceError =>
    new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
      hint: 'the file is not a vitest bench --outputJson report',
    });
  if (!isObject(doc) || !Array.isArray(doc.files)) throw bad('no "files" array');
  const used = new Set<string>();
  const metrics: Metric[] = [];
  doc.files.forEach((f: unknown, fi: number) => {
    if (!isObject(f) || !Array.isArray(f.groups)) throw bad(`files[${fi}] has no "groups" array`);
    f.groups.forEach((g: unknown, gi: number) => {
      if (!isObject(g) || !Array.isArray(g.benchmarks)) throw bad(`files[${fi}].groups[${gi}] has no "benchmarks" array`);
      const path = typeof g.fullName === 'string' ? g.fullName.split(' > ').slice(1) : [];
      g.benchmarks.forEach((b: unknown, bi: number) => {
        if (!isObject(b) || typeof b.name !== 'string') throw bad(`files[${fi}].groups[${gi}].benchmarks[${bi}] has no name`);
        const mean = num(b.mean);
        if (mean === undefined) throw bad(`benchmark "${b.name}" has no numeric mean`);
        const name = uniqueName(used, benchName([...path, b.name].join('/')));
        metrics.push(
          ...benchMetrics(
            name,
            { mean, median: num(b.median) ?? num(b.p50), min: num(b.min), max: num(b.max), stddev: num(b.sd), ops: num(b.hz) },
            displayPath,
          ),
        );
      });
    });
  });
  if (metrics.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} lists no benchmarks`, {
      hint: 'no benchmark ran; check the vitest bench filter',
    });
  }
  return { metrics };
}

export const vitestBenchParser: FormatParser = {
  format: 'vitest-bench',
  sniff: (head) => /"files"\s*:\s*\[/.test(head) && /"groups"\s*:\s*\[/.test(head) && /"benchmarks"\s*:\s*\[/.test(head),
  parse,
};
