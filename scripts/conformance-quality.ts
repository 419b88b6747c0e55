/**
 * Conformance of the quality-evidence parsers (coverage, SARIF, k6, benchmarks) against the real
 * files in the shared corpus. `scripts/conformance.ts` calls `checkQualityRow` for every row of
 * PROVENANCE.tsv; rows outside coverage/, sarif/, k6/, bench/ and gobench/ return undefined.
 *
 * Each check sniffs the file (the first parser in registry order whose sniff accepts the head
 * must be the expected one), parses it, and compares with the numbers in the row's `expected`
 * text. Numbers are read from that text, not restated here; only which pieces to read is per format.
 */
import { EvidenceError } from '../src/errors.js';
import type { EvidenceFormat, EvidencePart, Metric } from '../src/evidence/model.js';
import { HEAD_BYTES, decodeHead, readHead } from '../src/evidence/read.js';
import { benchName } from '../src/evidence/units.js';
import { PARSERS } from '../src/evidence/registry.js';

export interface CorpusRow {
  localPath: string;
  absPath: string;
  producer: string;
  expected: string;
}
export interface RowResult {
  ok: boolean;
  detail: string;
}

const FOLDERS = ['coverage/', 'sarif/', 'k6/', 'bench/', 'gobench/'];

/**
 * Where the corpus text is wrong or says something the evidence model deliberately does not keep,
 * with the reason. Keyed by local_path; each entry names the expected piece it overrides.
 */
export const EXCEPTIONS: Record<string, { reason: string; replace?: [string, string] }> = {
  'bench/gbench-compare-test3_run0.json': {
    reason:
      'BM_Two appears twice (repetitions): the parser summarises it into one benchmark, so 4 entries give 3 names — checked as names, not as a count',
  },
  'coverage/lcov-node-test-reporter.info': {
    reason:
      "the expected LF=16 LH=14 are the file's LF:/LH: summary lines; its DA: lines list 15 lines, 13 hit (node counts the coverage-ignored line 7 in LF/LH without a DA entry) — the parser counts DA lines",
    replace: ['LF=16 LH=14', 'LF=15 LH=13'],
  },
};

function expectedFormat(row: CorpusRow): EvidenceFormat {
  const p = row.localPath;
  if (p.startsWith('coverage/istanbul')) return 'istanbul-summary';
  if (p.startsWith('coverage/jacoco')) return 'jacoco';
  if (p.startsWith('coverage/cobertura')) return 'cobertura';
  if (p.startsWith('coverage/sonar')) return 'sonar-coverage';
  if (p.startsWith('coverage/lcov')) return 'lcov';
  if (p.startsWith('sarif/')) return 'sarif';
  if (p.startsWith('k6/')) return 'k6-summary';
  if (p.startsWith('gobench/')) return 'go-bench';
  if (/hyperfine/.test(p)) return 'hyperfine';
  if (/pytest-benchmark/.test(p)) return 'pytest-benchmark';
  if (/google-benchmark|gbench/.test(p)) return 'google-benchmark';
  if (/criterion/.test(p)) return 'criterion';
  if (/vitest/.test(p)) return 'vitest-bench';
  throw new Error(`no expected format for ${p}`);
}

/** Accumulates mismatches for one row. */
class Checker {
  readonly problems: string[] = [];
  readonly checked: string[] = [];
  eq(what: string, actual: unknown, expected: unknown): void {
    this.checked.push(what);
    if (actual !== expected) this.problems.push(`${what}: got ${String(actual)}, expected ${String(expected)}`);
  }
  near(what: string, actual: number | undefined, expected: number): void {
    this.checked.push(what);
    // Expected figures are rounded by hand (4–5 significant digits).
    if (actual === undefined || Math.abs(actual - expected) > Math.abs(expected) * 2e-3 + 1e-12) {
      this.problems.push(`${what}: got ${String(actual)}, expected ≈${expected}`);
    }
  }
}

const TIME_TO_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000 };

function checkCoverage(part: EvidencePart, row: CorpusRow, c: Checker): void {
  const cov = part.coverage;
  if (!cov) {
    c.problems.push('no coverage');
    return;
  }
  const e = row.expected;
  const files = /\b(?:files|records)=(\d+)/.exec(e);
  if (files) c.eq('files', cov.files.length, Number(files[1]));
  // Istanbul: kind=covered/total
  for (const m of e.matchAll(/\b(?:total\.)?(lines|statements|functions|branches)=(\d+)\/(\d+)/g)) {
    const k = m[1] as 'lines' | 'statements' | 'functions' | 'branches';
    c.eq(`${k}.covered`, cov[k]?.covered, Number(m[2]));
    c.eq(`${k}.total`, cov[k]?.total, Number(m[3]));
  }
  // JaCoCo: TYPE missed/covered
  const jacoco: Record<string, 'lines' | 'branches' | 'functions' | 'statements'> = { LINE: 'lines', BRANCH: 'branches', METHOD: 'functions', INSTRUCTION: 'statements' };
  for (const m of e.matchAll(/\b(INSTRUCTION|BRANCH|LINE|METHOD) (\d+)\/(\d+)/g)) {
    const k = jacoco[m[1]!]!;
    c.eq(`${k}.covered`, cov[k]?.covered, Number(m[3]));
    c.eq(`${k}.total`, cov[k]?.total, Number(m[2]) + Number(m[3]));
  }
  // Cobertura header-style names, verified by counting <line> in the corpus
  const valid = /lines-valid=(\d+)/.exec(e);
  const covered = /lines-covered=(\d+)/.exec(e);
  if (valid) c.eq('lines.total', cov.lines?.total, Number(valid[1]));
  if (covered) c.eq('lines.covered', cov.lines?.covered, Number(covered[1]));
  // Sonar generic: lines=N covered=M
  const sl = /\blines=(\d+) covered=(\d+)/.exec(e);
  if (sl) {
    c.eq('lines.total', cov.lines?.total, Number(sl[1]));
    c.eq('lines.covered', cov.lines?.covered, Number(sl[2]));
  }
  // LCOV summary names
  const lcov: Record<string, ['lines' | 'branches' | 'functions', 'total' | 'covered']> = {
    LF: ['lines', 'total'],
    LH: ['lines', 'covered'],
    BRF: ['branches', 'total'],
    BRH: ['branches', 'covered'],
    FNF: ['functions', 'total'],
    FNH: ['functions', 'covered'],
  };
  for (const m of e.matchAll(/\b(LF|LH|BRF|BRH|FNF|FNH)=(\d+)/g)) {
    const [k, f] = lcov[m[1]!]!;
    c.eq(m[1]!, cov[k]?.[f] ?? 0, Number(m[2]));
  }
}

function checkSarif(part: EvidencePart, row: CorpusRow, c: Checker): void {
  const findings = part.findings ?? [];
  const e = row.expected;
  const results = /\bresults=(\d+)/.exec(e);
  if (results) c.eq('results', findings.length, Number(results[1]));
  // Every finding gets a stable fingerprint (the tool's own, or a hash): history keys on it.
  c.eq('fingerprints', findings.filter((f) => !f.fingerprint).length, 0);
  const paren = /results=\d+ \(([^)]*)\)/.exec(e)?.[1] ?? '';
  for (const m of paren.matchAll(/\b(error|warning|note)=(\d+)/g)) {
    c.eq(`level ${m[1]}`, findings.filter((f) => f.level === m[1]).length, Number(m[2]));
  }
  const implied =
    /effective level=(\w+)/.exec(e)?.[1] ?? /default (warning)/.exec(paren)?.[1] ?? /problem\.severity=(\w+)/.exec(paren)?.[1];
  if (implied) for (const f of findings) c.eq(`level of ${f.ruleId}`, f.level, implied);
  const issueSeverity = /issue_severity=(\w+)/.exec(paren)?.[1];
  if (issueSeverity) for (const f of findings) c.eq(`security severity of ${f.ruleId}`, f.securitySeverity, issueSeverity.toLowerCase());
}

function metricValue(metrics: Metric[], name: string): number | undefined {
  return metrics.find((m) => m.name === name)?.value;
}

function checkK6(part: EvidencePart, row: CorpusRow, c: Checker): void {
  const metrics = part.metrics ?? [];
  const e = row.expected;
  const count = /\bmetrics=(\d+)/.exec(e);
  if (count) {
    const names = new Set(metrics.map((m) => m.name.slice('metric.'.length, m.name.lastIndexOf('.'))));
    c.eq('metrics', names.size, Number(count[1]));
  }
  for (const m of e.matchAll(/(\w+) ([^\s=;,]+)=(true|false)\((FAILED|OK|PASSED)\)/g)) {
    const t = (part.thresholds ?? []).find((x) => x.metric === m[1] && x.expression === m[2]);
    c.eq(`threshold ${m[1]} ${m[2]} ok`, t?.ok, m[4] !== 'FAILED');
  }
  const checks = /checks passes=(\d+) fails=(\d+)/.exec(e);
  if (checks) {
    c.eq('checks.passes', metricValue(metrics, 'metric.checks.passes'), Number(checks[1]));
    c.eq('checks.fails', metricValue(metrics, 'metric.checks.fails'), Number(checks[2]));
  }
}

function benchNames(metrics: Metric[]): string[] {
  const names: string[] = [];
  for (const m of metrics) {
    const name = m.name.slice('bench.'.length, m.name.lastIndexOf('.'));
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function checkBench(part: EvidencePart, row: CorpusRow, c: Checker): void {
  const metrics = part.metrics ?? [];
  const names = benchNames(metrics);
  const e = row.expected;
  const listed = /names: ([^)]*)\)/.exec(e);
  if (listed) {
    const expectedNames = [...new Set(listed[1]!.split(',').map((s) => benchName(s.trim().replace(/ x\d+$/, ''))))];
    c.eq('names', names.join(','), expectedNames.join(','));
  } else {
    const count = /\b(?:benchmarks|results)=(\d+)/.exec(e) ?? /^(\d+) benchmark/.exec(e);
    if (count) c.eq('benchmarks', names.length, Number(count[1]));
  }
  const only = names.length === 1 ? names[0] : undefined;
  // "<name> mean=0.10753s", "mean=2.612e-07s", "typical=12481.0ns", "Mean point_estimate=24770.03ns"
  for (const m of e.matchAll(/(?:([A-Za-z_][\w. ]*?) )?(mean|median|typical|[Mm]ean point_estimate)=([\d.e+-]+)(ns|us|ms|s)\b/g)) {
    const stat = /point_estimate/.test(m[2]!) ? 'mean' : m[2]!;
    const rawName = m[1] && !/^(benchmark|benchmarks=\d+)$/.test(m[1]) ? m[1] : undefined;
    // vitest names carry their describe path (`math/add`); the corpus names the benchmark alone.
    const found = rawName === undefined ? undefined : names.find((n) => n === benchName(rawName) || n.endsWith(`/${benchName(rawName)}`));
    const name = found ?? only;
    c.near(`${name ?? '?'}.${stat}`, name === undefined ? undefined : metricValue(metrics, `bench.${name}.${stat}`), Number(m[3]) * TIME_TO_MS[m[4]!]!);
  }
  // Google Benchmark: "<name> real 214.99ns"
  for (const m of e.matchAll(/([\w/]+) real ([\d.]+)(ns|us|ms|s)\b/g)) {
    c.near(`${m[1]}.mean`, metricValue(metrics, `bench.${benchName(m[1]!)}.mean`), Number(m[2]) * TIME_TO_MS[m[3]!]!);
  }
}

function checkGoBench(part: EvidencePart, row: CorpusRow, c: Checker): void {
  const metrics = part.metrics ?? [];
  const names = benchNames(metrics);
  const e = row.expected;
  const count = /\bbenchmarks=(\d+)/.exec(e);
  if (count) c.eq('benchmarks', names.length, Number(count[1]));
  // Per-benchmark groups in file order: "(A ns/op B B/op C allocs/op; …)"
  const body = /\(([^)]*)\)/.exec(e)?.[1];
  if (!body) return;
  body.split(';').forEach((piece, i) => {
    const name = names[i];
    const ns = /([\d.]+) ns\/op/.exec(piece);
    const bytes = /([\d.]+) B\/op/.exec(piece);
    const allocs = /([\d.]+) allocs\/op/.exec(piece);
    if (ns) c.near(`${name ?? '?'}.mean`, metricValue(metrics, `bench.${name}.mean`), Number(ns[1]) * 1e-6);
    if (bytes) c.near(`${name ?? '?'}.bytes_per_op`, metricValue(metrics, `bench.${name}.bytes_per_op`), Number(bytes[1]));
    if (allocs) c.near(`${name ?? '?'}.allocs_per_op`, metricValue(metrics, `bench.${name}.allocs_per_op`), Number(allocs[1]));
  });
}

export async function checkQualityRow(row: CorpusRow): Promise<RowResult | undefined> {
  if (!FOLDERS.some((f) => row.localPath.startsWith(f))) return undefined;
  const want = expectedFormat(row);
  const head = decodeHead(await readHead(row.absPath, HEAD_BYTES));
  if (head === undefined) return { ok: false, detail: 'head is not UTF-8 text' };
  const sniffed = PARSERS.find((p) => p.sniff(head));
  if (sniffed?.format !== want) return { ok: false, detail: `sniffed as ${sniffed?.format ?? 'nothing'}, expected ${want}` };

  let part: EvidencePart;
  try {
    part = await sniffed.parse(row.absPath, { displayPath: row.localPath });
  } catch (err) {
    const code = err instanceof EvidenceError ? err.code : 'CRASH';
    return { ok: false, detail: `${code}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const exception = EXCEPTIONS[row.localPath];
  if (exception?.replace) {
    if (!row.expected.includes(exception.replace[0])) return { ok: false, detail: `exception for ${row.localPath} no longer matches its expected text` };
    row = { ...row, expected: row.expected.replace(exception.replace[0], exception.replace[1]) };
  }
  const c = new Checker();
  const folder = row.localPath.slice(0, row.localPath.indexOf('/'));
  if (folder === 'coverage') checkCoverage(part, row, c);
  else if (folder === 'sarif') checkSarif(part, row, c);
  else if (folder === 'k6') checkK6(part, row, c);
  else if (folder === 'bench') checkBench(part, row, c);
  else checkGoBench(part, row, c);

  if (c.checked.length === 0) return { ok: false, detail: `nothing in the expected text could be checked: ${row.expected}` };
  const note = exception ? ` [exception: ${exception.reason}]` : '';
  return c.problems.length === 0
    ? { ok: true, detail: `${want}: ${c.checked.length} checks${note}` }
    : { ok: false, detail: `${want}: ${c.problems.join('; ')}${note}` };
}
