/**
 * Evaluation of expect assertions against a gate's evidence. Pure: the evidence, the quarantine
 * lookup and the baseline samples come in, one Check per assertion goes out. Anything that cannot
 * be judged (missing evidence, a unit that cannot apply) is a failing check that says why.
 */
import { closest } from 'fastest-levenshtein';
import type { Check, TestCounts } from '../model/types.js';
import { TEST_FORMATS, type Evidence, type Finding, type TestResult, type CoverageCounter } from '../model/evidence.js';
import { describeBaseline, judgeDrift, baselineValue, noBaselineCheck, type BaselinePolicy, type BaselineSample } from './baseline.js';
import type { Comparator, Expectation, Quantity } from '../config/expect-parse.js';
import { lookupPath, pathKey, splitPath, type PathInfo } from '../config/expect-paths.js';
import { isExempt, type QuarantineMatch } from './quarantine.js';
import { dimensionOf, formatNumber, formatQuantity, toCanonical, CANONICAL_UNIT } from '../config/units.js';

/** What history offers for one path: the samples (newest first, READY runs) and the settings. */
export interface BaselineInput {
  samples: readonly BaselineSample[];
  cfg: BaselinePolicy;
  /** Unit the samples were recorded in; assumed to be the metric's current unit when absent. */
  unit?: string;
  /** Why there can be no samples at all (history off, no run ever on the branch); said instead of "0 of N". */
  missing?: string;
}

/** The findings of the baseline run of this gate, by fingerprint — or why there is none. */
export type FindingsBaseline = { fingerprints: ReadonlySet<string>; runId: string } | { missing: string };

export interface EvalContext {
  baseline?: (path: string) => BaselineInput | undefined;
  quarantined?: (testId: string) => QuarantineMatch | undefined;
  /** The gate declared reports of a test format (even if they yielded no tests). */
  declaredTestReports?: boolean;
  findingsBaseline?: () => FindingsBaseline;
  /** Settings for checks that need a baseline but have none (`findings.new` without one). */
  baselinePolicy?: BaselinePolicy;
}

/** Findings that count: suppressed ones (accepted suppressions) and ones the tool says are gone do not. */
export function countedFindings(ev: Evidence): Finding[] {
  return ev.findings.filter((f) => !f.suppressed && f.baselineState !== 'absent');
}

/**
 * A predicate for "new against the baseline": the tool's own baselineState "new", or (with a
 * baseline run recorded) a fingerprint that run did not have. Undefined when neither exists: then
 * nothing can be called new or old, and `findings.new` has no baseline.
 */
export function newFindingTest(ev: Evidence, ctx: EvalContext | undefined): ((f: Finding) => boolean) | { missing: string } {
  const counted = countedFindings(ev);
  const toolSays = counted.some((f) => f.baselineState !== undefined);
  const base = ctx?.findingsBaseline?.();
  if (base && 'fingerprints' in base) return (f) => f.baselineState === 'new' || !base.fingerprints.has(f.fingerprint);
  if (toolSays) return (f) => f.baselineState === 'new';
  return { missing: base?.missing ?? 'no baseline: no history of this gate\'s findings' };
}


/** Test counts with quarantined failures taken out of failed/errors and counted apart. */
export function countTests(tests: readonly TestResult[], quarantined?: (id: string) => QuarantineMatch | undefined): TestCounts {
  const c: TestCounts = { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, flaky: 0, quarantined: 0 };
  for (const t of tests) {
    c.total++;
    if (t.flaky) c.flaky++;
    if (t.status === 'passed') c.passed++;
    else if (t.status === 'skipped') c.skipped++;
    else if (isExempt(quarantined?.(t.id))) c.quarantined++;
    else if (t.status === 'failed') c.failed++;
    else c.errors++;
  }
  return c;
}

interface CountsMemo {
  quarantined: ((id: string) => QuarantineMatch | undefined) | undefined;
  tests: readonly TestResult[];
  length: number;
  totals: Evidence['testTotals'];
  counts: TestCounts;
}

/** One count per evidence (and quarantine lookup): the default checks, each tests.* path and the measured values all ask. */
const countsMemo = new WeakMap<Evidence, CountsMemo>();

/**
 * A gate's test counts, quarantine applied. With `testTotals` (the gate's tests were streamed and
 * `tests` holds the failing ones and a few more), total/passed/skipped/flaky come from the totals
 * and failed/errors/quarantined from the failing tests kept; should fewer failing tests be kept
 * than the totals count, the missing ones count as failures (fail closed). Memoised per evidence.
 */
export function evidenceCounts(ev: Evidence, quarantined?: (id: string) => QuarantineMatch | undefined): TestCounts {
  const memo = countsMemo.get(ev);
  if (memo && memo.quarantined === quarantined && memo.tests === ev.tests && memo.length === ev.tests.length && memo.totals === ev.testTotals) {
    return { ...memo.counts };
  }
  let c: TestCounts;
  const totals = ev.testTotals;
  if (totals) {
    c = { total: totals.total, passed: totals.passed, failed: 0, errors: 0, skipped: totals.skipped, flaky: totals.flaky, quarantined: 0 };
    let failedSeen = 0;
    let errorsSeen = 0;
    for (const t of ev.tests) {
      if (t.status !== 'failed' && t.status !== 'error') continue;
      if (t.status === 'failed') failedSeen++;
      else errorsSeen++;
      if (isExempt(quarantined?.(t.id))) c.quarantined++;
      else if (t.status === 'failed') c.failed++;
      else c.errors++;
    }
    c.failed += Math.max(0, totals.failed - failedSeen);
    c.errors += Math.max(0, totals.errors - errorsSeen);
  } else {
    c = countTests(ev.tests, quarantined);
  }
  countsMemo.set(ev, { quarantined, tests: ev.tests, length: ev.tests.length, totals, counts: c });
  return { ...c };
}

/** `noBaseline`: the value needs a baseline that does not exist (a warning, or a block under `baseline.require`). */
export type Resolved = { ok: true; value: number; unit?: string } | { ok: false; reason: string; noBaseline?: boolean };

function hasTestEvidence(ev: Evidence, ctx: EvalContext | undefined): boolean {
  return ev.tests.length > 0 || (ev.testTotals?.total ?? 0) > 0 || ctx?.declaredTestReports === true || ev.reports.some((r) => r.format !== undefined && TEST_FORMATS.includes(r.format));
}

function counter(c: CoverageCounter | undefined, part: 'pct' | 'covered' | 'total', label: string): Resolved {
  if (!c) return { ok: false, reason: `the coverage report has no ${label} figures` };
  if (part === 'covered') return { ok: true, value: c.covered };
  if (part === 'total') return { ok: true, value: c.total };
  if (c.pct === null) return { ok: false, reason: `${label} coverage has nothing to cover (0 of 0)` };
  return { ok: true, value: c.pct, unit: '%' };
}

/** Evidence metric names, keyed as paths: names without a `metric.`/`bench.` prefix get `metric.`. */
function metricIndex(ev: Evidence): Map<string, { value: number; unit?: string }> {
  const m = new Map<string, { value: number; unit?: string }>();
  for (const x of ev.metrics) {
    const key = x.name.startsWith('metric.') || x.name.startsWith('bench.') ? x.name : `metric.${x.name}`;
    m.set(key, toCanonical(x.value, x.unit));
  }
  return m;
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown}, … (${names.length} in all)` : shown;
}

function resolveInfo(info: PathInfo, ev: Evidence, ctx: EvalContext | undefined): Resolved {
  switch (info.kind) {
    case 'tests': {
      if (!hasTestEvidence(ev, ctx)) return { ok: false, reason: 'no test results in this gate\'s evidence (declare a JUnit, TAP or go test -json report)' };
      const c = evidenceCounts(ev, ctx?.quarantined);
      switch (info.field) {
        case 'executed':
          return { ok: true, value: c.total - c.skipped };
        case 'pass-rate': {
          const judged = c.passed + c.failed + c.errors;
          if (judged === 0) return { ok: false, reason: 'no executed tests, so no pass rate' };
          return { ok: true, value: (c.passed / judged) * 100, unit: '%' };
        }
        default:
          return { ok: true, value: c[info.field] };
      }
    }
    case 'coverage': {
      if (!ev.coverage) return { ok: false, reason: 'no coverage in this gate\'s evidence (declare a coverage report)' };
      if (info.file === undefined) return counter(ev.coverage[info.counter], info.part, info.counter);
      const want = info.file.replace(/\\/g, '/').replace(/^\.\//, '');
      const files = ev.coverage.files;
      let f = files.find((x) => x.file === want);
      if (!f) {
        const bySuffix = files.filter((x) => x.file.endsWith(`/${want}`) || want.endsWith(`/${x.file}`));
        if (bySuffix.length > 1) return { ok: false, reason: `"${info.file}" matches ${bySuffix.length} files in the coverage report (${listNames(bySuffix.map((x) => x.file))}); write more of the path` };
        f = bySuffix[0];
      }
      if (!f) {
        const near = files.length ? closest(want, files.map((x) => x.file)) : undefined;
        return { ok: false, reason: `no file "${info.file}" in the coverage report${near ? `; did you mean "${near}"?` : ''}` };
      }
      return counter(f[info.counter], info.part, `${info.counter} of ${f.file}`);
    }
    case 'findings':
    case 'security':
    case 'rule':
    case 'tool': {
      if (ev.findings.length === 0 && !ev.reports.some((r) => r.format === 'sarif')) {
        return { ok: false, reason: 'no findings report (SARIF) in this gate\'s evidence' };
      }
      const fs = countedFindings(ev);
      if (info.kind === 'findings') {
        if (info.level === 'total') return { ok: true, value: fs.length };
        if (info.level === 'suppressed') return { ok: true, value: ev.findings.filter((f) => f.suppressed).length };
        if (info.level === 'new') {
          const isNew = newFindingTest(ev, ctx);
          if (typeof isNew !== 'function') return { ok: false, reason: isNew.missing, noBaseline: true };
          return { ok: true, value: fs.filter(isNew).length };
        }
        return { ok: true, value: fs.filter((f) => f.level === info.level).length };
      }
      if (info.kind === 'security') return { ok: true, value: fs.filter((f) => f.securitySeverity === info.severity).length };
      if (info.kind === 'rule') return { ok: true, value: fs.filter((f) => f.ruleId === info.name).length };
      return { ok: true, value: fs.filter((f) => f.tool === info.name).length };
    }
    case 'thresholds': {
      if (ev.thresholds.length === 0) return { ok: false, reason: 'no k6 thresholds in this gate\'s evidence' };
      const failed = ev.thresholds.filter((t) => !t.ok).length;
      return { ok: true, value: info.field === 'failed' ? failed : info.field === 'passed' ? ev.thresholds.length - failed : ev.thresholds.length };
    }
    case 'metric': {
      const index = metricIndex(ev);
      const hit = index.get(info.name);
      if (hit) return { ok: true, ...hit };
      const family = info.name.startsWith('bench.') ? 'bench.' : 'metric.';
      const seen = [...index.keys()].filter((k) => k.startsWith(family));
      if (seen.length === 0) return { ok: false, reason: `no ${family === 'bench.' ? 'benchmark' : 'metric'} named ${info.name}; this gate's reports produced no ${family}* values` };
      const near = closest(info.name, seen);
      return { ok: false, reason: `no ${family === 'bench.' ? 'benchmark' : 'metric'} named ${info.name}${near ? ` (did you mean ${near}?)` : ''}; seen: ${listNames(seen)}` };
    }
  }
}

/** Resolve a path with the reason when it cannot be. */
export function resolvePathDetailed(path: string, ev: Evidence, ctx?: EvalContext): Resolved {
  const split = splitPath(path);
  if (!split.ok) return { ok: false, reason: `${split.message} in path "${path}"` };
  const found = lookupPath(split.segments);
  if (!found.ok) return { ok: false, reason: found.hint ? `${found.message} (${found.hint})` : found.message };
  return resolveInfo(found.info, ev, ctx);
}

export function resolvePath(path: string, ev: Evidence, ctx?: EvalContext): { value: number; unit?: string } | undefined {
  const r = resolvePathDetailed(path, ev, ctx);
  return r.ok ? { value: r.value, unit: r.unit } : undefined;
}

const EPSILON = 1e-9;

export function compare(a: number, op: Comparator, b: number): boolean {
  const eq = a === b || Math.abs(a - b) <= EPSILON * Math.max(Math.abs(a), Math.abs(b));
  switch (op) {
    case '==':
      return eq;
    case '!=':
      return !eq;
    case '<':
      return a < b && !eq;
    case '<=':
      return a <= b || eq;
    case '>':
      return a > b && !eq;
    case '>=':
      return a >= b || eq;
  }
}

type Aligned = { ok: true; actual: number; expected: number; unit?: string; note?: string } | { ok: false; reason: string };

/** Bring the actual value and a quantity into one unit, or say why they cannot meet. */
function align(path: string, actual: { value: number; unit?: string }, q: Pick<Quantity, 'value' | 'unit' | 'text'>): Aligned {
  const aDim = dimensionOf(actual.unit);
  if (actual.unit === q.unit) return { ok: true, actual: actual.value, expected: q.value, unit: actual.unit };
  if (actual.unit === '%' && q.unit === undefined) return { ok: true, actual: actual.value, expected: q.value, unit: '%' };
  if (actual.unit === undefined && q.unit === '%') {
    return { ok: true, actual: actual.value * 100, expected: q.value, unit: '%', note: `${path} has no unit; read as a ratio 0..1` };
  }
  if (q.unit === undefined) {
    if (aDim === 'time' || aDim === 'size') {
      return { ok: false, reason: `${path} is a ${aDim} (${formatQuantity(actual.value, actual.unit)}); write the unit, e.g. "${formatNumber(q.value)}${CANONICAL_UNIT[aDim]}"` };
    }
    // An opaque unit (`req/s`) has one scale only: a bare number is in that unit.
    return { ok: true, actual: actual.value, expected: q.value, unit: actual.unit };
  }
  const have = actual.unit === undefined ? 'has no unit' : `is in ${actual.unit}`;
  return { ok: false, reason: `cannot compare ${path} (${have}) with ${q.text}` };
}

function unitFailure(e: Expectation, expected: string, reason: string): Check {
  return { check: e.source, operator: e.kind === 'within-baseline' ? 'within' : e.op, expected, actual: 'unit mismatch', ok: false, message: `${reason} [EXPECT_UNIT]` };
}

/** Evaluate one expectation against a gate's evidence. */
export function evaluate(e: Expectation, ev: Evidence, ctx?: EvalContext): Check {
  const operator = e.kind === 'within-baseline' ? 'within' : e.op;
  const expectedText =
    e.kind === 'compare' ? `${e.op} ${e.value.text}` : e.kind === 'within-baseline' ? 'within baseline' : `${e.op} baseline${e.offset ? ` ${e.offset.value < 0 ? '-' : '+'} ${e.offset.text.replace(/^[+-]/, '')}` : ''}`;
  const split = splitPath(e.path);
  const key = split.ok ? pathKey(split.segments) : e.path;
  const got = resolvePathDetailed(e.path, ev, ctx);
  if (!got.ok && got.noBaseline && ctx?.baselinePolicy) {
    return noBaselineCheck({ check: e.source, operator, expected: expectedText, actual: 'no baseline' }, ctx.baselinePolicy, 0, got.reason);
  }
  if (!got.ok) return { check: e.source, operator, expected: expectedText, actual: 'missing', ok: false, message: got.reason };

  if (e.kind === 'compare') {
    const a = align(e.path, got, e.value);
    if (!a.ok) return unitFailure(e, expectedText, a.reason);
    const ok = compare(a.actual, e.op, a.expected);
    const expected = e.value.unit === undefined && a.unit !== undefined ? `${e.op} ${formatQuantity(a.expected, a.unit)}` : expectedText;
    const check: Check = { check: e.source, operator, expected, actual: formatQuantity(a.actual, a.unit, e.value.writtenUnit), ok };
    if (a.note) check.message = a.note;
    return check;
  }

  const input = ctx?.baseline?.(key);
  if (e.kind === 'within-baseline') {
    if (!input) return noBaseline(e, expectedText, got, ctx, undefined);
    const conv = baselineSamplesIn(input, got.unit);
    if (!conv.ok) return unitFailure(e, expectedText, conv.reason);
    const drift = judgeDrift({ name: key, value: got.value, unit: got.unit }, conv.samples, input.cfg, input.missing);
    return { ...drift.check, check: e.source };
  }

  // compare-baseline
  if (!input) return noBaseline(e, expectedText, got, ctx, undefined);
  const conv = baselineSamplesIn(input, got.unit);
  if (!conv.ok) return unitFailure(e, expectedText, conv.reason);
  const b = baselineValue(conv.samples, input.cfg);
  if (!b || b.n < input.cfg.minRuns) return noBaseline(e, expectedText, got, ctx, input, b?.n ?? 0);
  let target = b.value;
  let how = '';
  const off = e.offset;
  if (off) {
    if (off.unit === '%' && got.unit !== '%') {
      target = b.value + (Math.abs(b.value) * off.value) / 100;
      how = ` ${off.value < 0 ? '-' : '+'} ${formatNumber(Math.abs(off.value))}% of it`;
    } else {
      const a = align(e.path, got, off);
      if (!a.ok) return unitFailure(e, expectedText, a.reason);
      target = b.value + a.expected;
      how = ` ${off.value < 0 ? '-' : '+'} ${formatQuantity(Math.abs(a.expected), got.unit)}${got.unit === '%' ? ' (points)' : ''}`;
    }
  }
  const ok = compare(got.value, e.op, target);
  return {
    check: e.source,
    operator,
    expected: `${e.op} ${formatQuantity(target, got.unit)}`,
    actual: formatQuantity(got.value, got.unit),
    ok,
    message: `baseline ${formatQuantity(b.value, got.unit)}${how} (${describeBaseline(b)})`,
  };
}

/** Express stored samples in the metric's current canonical unit. */
function baselineSamplesIn(input: BaselineInput, unit: string | undefined): { ok: true; samples: BaselineSample[] } | { ok: false; reason: string } {
  if (input.unit === undefined || input.unit === unit) return { ok: true, samples: [...input.samples] };
  const from = toCanonical(1, input.unit);
  if (from.unit !== unit) return { ok: false, reason: `the baseline was recorded in ${input.unit} but the metric is now ${unit ?? 'unitless'}` };
  return { ok: true, samples: input.samples.map((s) => ({ ...s, value: s.value * from.value })) };
}

function noBaseline(e: Expectation, expected: string, got: { value: number; unit?: string }, ctx: EvalContext | undefined, input: BaselineInput | undefined, n = 0): Check {
  const base = { check: e.source, operator: e.kind === 'within-baseline' ? 'within' : e.op, expected, actual: formatQuantity(got.value, got.unit) };
  const cfg = input?.cfg ?? ctx?.baselinePolicy;
  if (!cfg) return { ...base, ok: true, severity: 'warn', message: 'no baseline: no history was given to judge against' };
  return noBaselineCheck(base, cfg, n, n === 0 ? input?.missing : undefined);
}

function mentions(expect: readonly Expectation[], ...paths: string[]): boolean {
  return expect.some((e) => {
    const s = splitPath(e.path);
    return s.ok && paths.includes(pathKey(s.segments));
  });
}

function isTestPath(e: Expectation): boolean {
  const s = splitPath(e.path);
  return s.ok && s.segments[0] === 'tests';
}

/**
 * The fail-closed defaults for a gate: with test evidence (or declared test reports, or any
 * expect on tests.*), at least one executed test and no failed or errored test — each default
 * replaced by the user's own expect on the same count. Quarantined failures are left out of the
 * counts; the message reports them apart.
 */
export function defaultTestChecks(ev: Evidence, expect: readonly Expectation[], ctx?: EvalContext): Check[] {
  if (!hasTestEvidence(ev, ctx) && !expect.some(isTestPath)) return [];
  const c = evidenceCounts(ev, ctx?.quarantined);
  const checks: Check[] = [];
  if (!mentions(expect, 'tests.executed')) {
    const executed = c.total - c.skipped;
    const check: Check = { check: 'tests.executed >= 1', operator: '>=', expected: '>= 1', actual: String(executed), ok: executed >= 1 };
    if (executed < 1) {
      check.message = c.total === 0 ? 'no test ran: the reports list no tests' : `no test ran: all ${c.total} tests were skipped`;
    }
    checks.push(check);
  }
  const aside = c.quarantined > 0 ? `${c.quarantined} quarantined failure${c.quarantined === 1 ? '' : 's'} not counted` : undefined;
  if (!mentions(expect, 'tests.failed')) {
    const check: Check = { check: 'tests.failed == 0', operator: '==', expected: '== 0', actual: String(c.failed), ok: c.failed === 0 };
    if (aside) check.message = aside;
    checks.push(check);
  }
  if (!mentions(expect, 'tests.errors')) {
    const check: Check = { check: 'tests.errors == 0', operator: '==', expected: '== 0', actual: String(c.errors), ok: c.errors === 0 };
    if (aside) check.message = aside;
    checks.push(check);
  }
  return checks;
}
