/**
 * The catalogue of paths the expect language can address. One table serves two moments: before a
 * run (config validation rejects an unknown path with a did-you-mean hint and a unit that cannot
 * apply) and during judgement (expect-eval resolves the same parsed path against the evidence).
 *
 * --- README: the expect language -------------------------------------------------------------
 *
 * A gate's `expect:` is a list of assertions over the evidence its reports produced:
 *
 *     PATH OP VALUE            tests.failed == 0 · coverage.lines >= 65% · metric.http_req_duration.p95 < 200ms
 *     PATH OP baseline [± Q]   coverage.lines >= baseline - 1% · bench.parse.mean <= baseline + 10%
 *     PATH within baseline     bench.parse_large.mean within baseline
 *
 * Operators: `==` `!=` `<` `<=` `>` `>=` (`==`/`!=` allow a relative error of 1e-9 for floats).
 *
 * Paths
 *   tests.total | passed | failed | errors | skipped | flaky | executed | pass-rate | quarantined
 *       executed = total - skipped; pass-rate = passed / (passed + failed + errors), in %.
 *       failed/errors leave out tests exempted by a quarantine; tests.quarantined counts those.
 *   coverage.lines | branches | functions | statements          percent (0..100)
 *   coverage.lines.covered | coverage.lines.total (same for the other three)   counts
 *   coverage.file["src/x.ts"].lines (also .branches, .functions, .statements, and .covered/.total)
 *       the file as the coverage report names it; a unique suffix match is accepted.
 *   findings.total | error | warning | note                      counts of SARIF results by level
 *       (suppressed results — SARIF suppressions accepted or without status — are left out)
 *   findings.suppressed                                          results left out by an accepted suppression
 *   findings.new          results new against the baseline: the tool's baselineState "new", or a
 *                         fingerprint the newest READY run of this gate on the baseline branch did not have
 *   findings.security-severity.critical | high | medium | low   counts by security severity
 *   findings.rule["no-eval"]   findings.tool["semgrep"]         counts for one rule id / one tool
 *   thresholds.failed | passed | total                           k6 thresholds as k6 judged them
 *   metric.<name>        any metric the gate's reports produced (k6: metric.<metric>.<stat>,
 *                        e.g. metric.http_req_duration.p95, metric.checks.rate; metrics files and
 *                        Prometheus: metric.<name>, metric.<name>{label="v"})
 *   bench.<name>.<stat>  benchmarks: mean, median, min, max, stddev, ops (as the tool gives them)
 *   Names that contain dots or spaces are written in brackets: metric["model.v2.mrr"],
 *   bench["parse large"].mean. metric.* and bench.* are only known once the reports are read:
 *   a missing one fails its check and lists the names that were seen.
 *
 * Units: `%`; time `ns` `us` `ms` `s` `m` (minutes); size `B`, decimal `KB` `MB` `GB` (1000),
 *   binary `KiB` `MiB` `GiB` (1024). Values convert before comparing (200ms == 0.2s, 1KiB == 1024B).
 *   A unitless number against a percent path means percent (`coverage.lines >= 65`). A unitless
 *   metric compared with a percent is read as a ratio 0..1 (`metric.checks.rate >= 99%`). Times and
 *   sizes need their unit (`< 200` against a time is an error: write `< 200ms`). Counts take no unit.
 *   A unit that cannot apply (`tests.failed < 2ms`, `coverage.lines >= 1MB`) is a configuration
 *   error [EXPECT_UNIT] when the path is known before running, a failing check otherwise.
 *
 * Baselines (history of READY runs on the baseline branch, median of the last `baseline.runs`):
 *   `within baseline` — drift check: worse than the baseline by `warn` % (default 10) warns, by
 *     `fail` % (default 20) fails; "worse" follows the metric's direction (configured per metric,
 *     else inferred from its name and stated in the message); with ≥ 5 runs a change inside twice
 *     the baseline's spread is noise and passes.
 *   `baseline ± Q` — compare against the baseline moved by Q. For a percent path Q in `%` is in
 *     percentage points (coverage 70% - 1% = 69%); for any other path Q in `%` is relative to the
 *     baseline (5ms + 10% = 5.5ms); Q with a time/size unit is absolute (5ms + 1ms).
 *   Until `baseline.min-runs` (default 3) READY runs exist, baseline checks pass with a warning
 *   ("no baseline yet: 1 of 3 READY runs on main"): a first release is never blocked for lack of history.
 *
 * Defaults that fail closed: a gate with test reports also checks `tests.executed >= 1`,
 * `tests.failed == 0` and `tests.errors == 0`; an expect of yours on tests.total/tests.executed,
 * tests.failed or tests.errors replaces the matching default.
 * Errors: EXPECT_SYNTAX (malformed, with column), EXPECT_UNKNOWN_PATH (with a suggestion), EXPECT_UNIT.
 * ------------------------------------------------------------------------------------------------
 */
import { closest, distance } from 'fastest-levenshtein';

/** What kind of number a path yields, for static unit checks. `runtime`: known only from the evidence. */
export type PathDim = 'count' | 'percent' | 'runtime';

export type PathInfo =
  | { kind: 'tests'; field: TestField; dim: PathDim }
  | { kind: 'coverage'; counter: CoverageField; part: CoveragePart; file?: string; dim: PathDim }
  | { kind: 'findings'; level: FindingField; dim: PathDim }
  | { kind: 'security'; severity: 'critical' | 'high' | 'medium' | 'low'; dim: PathDim }
  | { kind: 'rule' | 'tool'; name: string; dim: PathDim }
  | { kind: 'thresholds'; field: 'failed' | 'passed' | 'total'; dim: PathDim }
  | { kind: 'metric'; name: string; dim: PathDim };

export const TEST_FIELDS = [
  'total',
  'passed',
  'failed',
  'errors',
  'skipped',
  'flaky',
  'executed',
  'pass-rate',
  'quarantined',
] as const;
export type TestField = (typeof TEST_FIELDS)[number];
export const COVERAGE_FIELDS = ['lines', 'branches', 'functions', 'statements'] as const;
export type CoverageField = (typeof COVERAGE_FIELDS)[number];
export type CoveragePart = 'pct' | 'covered' | 'total';
export const FINDING_FIELDS = ['total', 'error', 'warning', 'note', 'suppressed', 'new'] as const;
export type FindingField = (typeof FINDING_FIELDS)[number];
const SECURITY_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const THRESHOLD_FIELDS = ['failed', 'passed', 'total'] as const;

/** Every fixed path, for did-you-mean hints and documentation tests. */
export const STATIC_PATHS: readonly string[] = [
  ...TEST_FIELDS.map((f) => `tests.${f}`),
  ...COVERAGE_FIELDS.flatMap((f) => [`coverage.${f}`, `coverage.${f}.covered`, `coverage.${f}.total`]),
  ...FINDING_FIELDS.map((l) => `findings.${l}`),
  ...SECURITY_SEVERITIES.map((s) => `findings.security-severity.${s}`),
  ...THRESHOLD_FIELDS.map((f) => `thresholds.${f}`),
];
const PATH_SHAPES = ['coverage.file["<file>"].lines', 'findings.rule["<id>"]', 'findings.tool["<name>"]', 'metric.<name>', 'bench.<name>.<stat>'];

export type SplitResult = { ok: true; segments: string[] } | { ok: false; column: number; message: string };

/**
 * Split a path into segments: dots separate, `["…"]`/`['…']` holds a segment verbatim, and
 * `{…}` (Prometheus/k6 label sets, which may contain dots and quotes) stays inside its segment.
 * Columns are 1-based and relative to `offset` (the path's position in the expression).
 */
export function splitPath(path: string, offset = 0): SplitResult {
  const segments: string[] = [];
  let cur = '';
  let i = 0;
  let segStart = 0;
  let afterBracket = false;
  const fail = (at: number, message: string): SplitResult => ({ ok: false, column: offset + at + 1, message });
  while (i < path.length) {
    const ch = path[i] as string;
    if (ch === '.') {
      if (cur === '' && !afterBracket) return fail(i, i === segStart ? 'empty path segment' : 'unexpected "."');
      if (!afterBracket) segments.push(cur);
      cur = '';
      afterBracket = false;
      i++;
      segStart = i;
      continue;
    }
    if (afterBracket) return fail(i, `expected "." after "]"`);
    if (ch === '[') {
      if (cur !== '') segments.push(cur);
      cur = '';
      const q = path[i + 1];
      if (q !== '"' && q !== "'") return fail(i, 'a bracketed name must be quoted, e.g. ["src/app.ts"]');
      const end = path.indexOf(q, i + 2);
      if (end < 0) return fail(i, `unclosed quote in bracketed name`);
      if (path[end + 1] !== ']') return fail(end + 1, 'expected "]" after the quoted name');
      const name = path.slice(i + 2, end);
      if (name === '') return fail(i, 'empty bracketed name');
      segments.push(name);
      i = end + 2;
      afterBracket = true;
      continue;
    }
    if (ch === '{') {
      const close = findBraceEnd(path, i);
      if (close < 0) return fail(i, 'unclosed "{" in label set');
      cur += path.slice(i, close + 1);
      i = close + 1;
      continue;
    }
    if (ch === ']' || ch === '}') return fail(i, `unexpected "${ch}"`);
    cur += ch;
    i++;
  }
  if (!afterBracket) {
    if (cur === '') return fail(path.length === 0 ? 0 : i - 1, path.length === 0 ? 'empty path' : 'path ends with "."');
    segments.push(cur);
  }
  return { ok: true, segments };
}

/** Index of the `}` closing the `{` at `start`, honouring quoted label values; -1 when unclosed. */
export function findBraceEnd(text: string, start: number): number {
  let quote: string | undefined;
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '}') return i;
  }
  return -1;
}

/** The dotted key of a path, as metric names in the evidence are written (`metric.a.b`). */
export function pathKey(segments: readonly string[]): string {
  return segments.join('.');
}

export type LookupResult = { ok: true; info: PathInfo } | { ok: false; message: string; hint?: string };

function oneOf<T extends string>(list: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (list as readonly string[]).includes(value);
}

/** Find what a split path addresses, or say why it addresses nothing. */
export function lookupPath(segments: readonly string[]): LookupResult {
  const [head, a, b, c, d] = segments;
  const n = segments.length;
  const text = pathKey(segments);
  const unknown = (): LookupResult => ({ ok: false, message: `unknown path "${text}"`, hint: suggest(text) });
  switch (head) {
    case 'tests':
      if (n === 2 && oneOf(TEST_FIELDS, a)) return { ok: true, info: { kind: 'tests', field: a, dim: a === 'pass-rate' ? 'percent' : 'count' } };
      return unknown();
    case 'coverage': {
      if (a === 'file') {
        if (b === undefined || !oneOf(COVERAGE_FIELDS, c) || n > 5 || (d !== undefined && d !== 'covered' && d !== 'total')) {
          return { ok: false, message: `unknown path "${text}"`, hint: 'write coverage.file["src/x.ts"].lines (or .branches, .functions, .statements; add .covered or .total for counts)' };
        }
        const part: CoveragePart = d === undefined ? 'pct' : d;
        return { ok: true, info: { kind: 'coverage', counter: c, part, file: b, dim: part === 'pct' ? 'percent' : 'count' } };
      }
      if (!oneOf(COVERAGE_FIELDS, a) || n > 3 || (b !== undefined && b !== 'covered' && b !== 'total')) return unknown();
      const part: CoveragePart = b === undefined ? 'pct' : b;
      return { ok: true, info: { kind: 'coverage', counter: a, part, dim: part === 'pct' ? 'percent' : 'count' } };
    }
    case 'findings':
      if (n === 2 && oneOf(FINDING_FIELDS, a)) return { ok: true, info: { kind: 'findings', level: a, dim: 'count' } };
      if (n === 3 && a === 'security-severity' && oneOf(SECURITY_SEVERITIES, b)) {
        return { ok: true, info: { kind: 'security', severity: b, dim: 'count' } };
      }
      if (n === 3 && (a === 'rule' || a === 'tool') && b !== undefined) return { ok: true, info: { kind: a, name: b, dim: 'count' } };
      return unknown();
    case 'thresholds':
      if (n === 2 && oneOf(THRESHOLD_FIELDS, a)) return { ok: true, info: { kind: 'thresholds', field: a, dim: 'count' } };
      return unknown();
    case 'metric':
      if (n >= 2) return { ok: true, info: { kind: 'metric', name: text, dim: 'runtime' } };
      return { ok: false, message: 'metric needs a name', hint: 'write metric.<name>, e.g. metric.http_req_duration.p95' };
    case 'bench':
      if (n >= 3) return { ok: true, info: { kind: 'metric', name: text, dim: 'runtime' } };
      return { ok: false, message: `"${text}" needs a benchmark name and a statistic`, hint: 'write bench.<name>.<stat>, e.g. bench.parse_large.mean' };
    default:
      return unknown();
  }
}

/** A did-you-mean hint for an unknown path, or the list of path shapes when nothing is close. */
export function suggest(text: string): string {
  const best = closest(text, STATIC_PATHS);
  if (best !== undefined && distance(text, best) <= Math.max(2, Math.floor(best.length / 4))) return `did you mean "${best}"?`;
  return `known paths: tests.<total|passed|failed|errors|skipped|flaky|executed|pass-rate>, coverage.<lines|branches|functions|statements>, findings.<total|error|warning|note|suppressed|new>, findings.security-severity.<level>, thresholds.failed, ${PATH_SHAPES.join(', ')}`;
}
