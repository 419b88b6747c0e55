import { describe, expect, it } from 'vitest';
import { emptyEvidence, type Evidence, type TestResult } from '../model/evidence.js';
import type { BaselinePolicy, BaselineSample } from './baseline.js';
import { countTests, defaultTestChecks, evaluate, evidenceCounts, resolvePath, resolvePathDetailed, type EvalContext } from './expect-eval.js';
import { parseExpectation } from '../config/expect-parse.js';
import { quarantineMatcher } from './quarantine.js';

function test(id: string, status: TestResult['status'], extra: Partial<TestResult> = {}): TestResult {
  const [suite = '', name = id] = id.split('::');
  return { id, suite, name, status, attempts: 1, flaky: false, ...extra };
}

function evidence(part: Partial<Evidence>): Evidence {
  return { ...emptyEvidence(), ...part };
}

const junit = { path: 'reports/junit.xml', format: 'junit' as const, ok: true };
const sarif = { path: 'reports/scan.sarif', format: 'sarif' as const, ok: true };

const ev = evidence({
  tests: [
    test('a::ok1', 'passed'),
    test('a::ok2', 'passed', { flaky: true, attempts: 2 }),
    test('a::bad', 'failed', { message: 'boom' }),
    test('a::err', 'error'),
    test('a::skip', 'skipped'),
    test('q::known-bad', 'failed'),
  ],
  reports: [junit, sarif],
  coverage: {
    lines: { covered: 612, total: 1000, pct: 61.2 },
    branches: { covered: 0, total: 0, pct: null },
    files: [
      { file: 'src/app/x.ts', lines: { covered: 9, total: 10, pct: 90 } },
      { file: 'src/lib/util.ts', lines: { covered: 1, total: 4, pct: 25 } },
      { file: 'test/util.ts', lines: { covered: 1, total: 1, pct: 100 } },
    ],
  },
  findings: [
    { tool: 'eslint', ruleId: 'no-eval', level: 'error', message: 'eval', fingerprint: 'f1' },
    { tool: 'eslint', ruleId: 'no-eval', level: 'warning', message: 'eval', fingerprint: 'f2' },
    { tool: 'semgrep', ruleId: 'sqli', level: 'error', message: 'sql', securitySeverity: 'high', securityScore: 8.1, fingerprint: 'f3' },
    { tool: 'semgrep', ruleId: 'xss', level: 'note', message: 'xss', securitySeverity: 'medium', fingerprint: 'f4' },
  ],
  metrics: [
    { name: 'metric.http_req_duration.p95', value: 180, unit: 'ms' },
    { name: 'metric.checks.rate', value: 0.995 },
    { name: 'metric.http_requests_total{code="200"}', value: 42 },
    { name: 'metric.model.v2.mrr', value: 0.78 },
    { name: 'metric.rps', value: 120, unit: 'req/s' },
    { name: 'image_size', value: 182e6, unit: 'B' },
    { name: 'bench.parse_large.mean', value: 4.2, unit: 'ms' },
    { name: 'bench.parse_large.ops', value: 238 },
  ],
  thresholds: [
    { metric: 'http_req_duration', expression: 'p(95)<200', ok: true },
    { metric: 'checks', expression: 'rate>0.99', ok: false },
  ],
});

const quarantine = quarantineMatcher([{ tests: ['q::*'], reason: 'tracked in #12', origin: 'config' }], new Date('2026-01-01T00:00:00Z'));
const ctx: EvalContext = { quarantined: quarantine };

function run(src: string, e: Evidence = ev, c: EvalContext = ctx) {
  return evaluate(parseExpectation(src), e, c);
}

describe('resolvePath', () => {
  it.each([
    ['tests.total', 6],
    ['tests.passed', 2],
    ['tests.failed', 1],
    ['tests.errors', 1],
    ['tests.skipped', 1],
    ['tests.flaky', 1],
    ['tests.executed', 5],
    ['tests.quarantined', 1],
    ['coverage.lines', 61.2],
    ['coverage.lines.covered', 612],
    ['coverage.lines.total', 1000],
    ['coverage.file["src/app/x.ts"].lines', 90],
    ['coverage.file["app/x.ts"].lines.covered', 9],
    ['findings.total', 4],
    ['findings.error', 2],
    ['findings.warning', 1],
    ['findings.note', 1],
    ['findings.security-severity.high', 1],
    ['findings.security-severity.critical', 0],
    ['findings.rule["no-eval"]', 2],
    ['findings.tool["semgrep"]', 2],
    ['thresholds.failed', 1],
    ['thresholds.passed', 1],
    ['thresholds.total', 2],
    ['metric.http_req_duration.p95', 180],
    ['metric.model.v2.mrr', 0.78],
    ['metric["model.v2.mrr"]', 0.78],
    ['metric.http_requests_total{code="200"}', 42],
    ['metric.image_size', 182e6],
    ['bench.parse_large.mean', 4.2],
  ])('%s = %s', (path, value) => {
    expect(resolvePath(path, ev, ctx)?.value).toBeCloseTo(value, 9);
  });

  it('computes the pass rate over executed, non-quarantined tests', () => {
    expect(resolvePath('tests.pass-rate', ev, ctx)).toEqual({ value: 50, unit: '%' });
  });

  it('says why a path cannot be resolved', () => {
    const none = emptyEvidence();
    expect(resolvePathDetailed('tests.total', none)).toMatchObject({ ok: false, reason: expect.stringMatching(/no test results/) });
    expect(resolvePathDetailed('coverage.lines', none)).toMatchObject({ ok: false, reason: expect.stringMatching(/no coverage/) });
    expect(resolvePathDetailed('findings.error', none)).toMatchObject({ ok: false, reason: expect.stringMatching(/no findings report/) });
    expect(resolvePathDetailed('thresholds.failed', none)).toMatchObject({ ok: false, reason: expect.stringMatching(/no k6 thresholds/) });
    expect(resolvePathDetailed('coverage.branches', ev)).toMatchObject({ ok: false, reason: expect.stringMatching(/nothing to cover/) });
    expect(resolvePathDetailed('coverage.file["util.ts"].lines', ev)).toMatchObject({ ok: false, reason: expect.stringMatching(/matches 2 files/) });
    expect(resolvePathDetailed('coverage.file["src/app/y.ts"].lines', ev)).toMatchObject({ ok: false, reason: expect.stringMatching(/did you mean "src\/app\/x.ts"/) });
    expect(resolvePathDetailed('metric.http_req_duration.p99', ev)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no metric named metric.http_req_duration.p99 \(did you mean metric.http_req_duration.p95\?\); seen: metric.http_req_duration.p95, metric.checks.rate/),
    });
    expect(resolvePathDetailed('bench.x.mean', evidence({ metrics: [] }))).toMatchObject({ ok: false, reason: expect.stringMatching(/produced no bench\.\* values/) });
    expect(resolvePath('tests.nope', ev)).toBeUndefined();
  });

  it('treats an empty SARIF report and an empty test report as zero, not as missing', () => {
    const clean = evidence({ reports: [junit, sarif] });
    expect(resolvePath('findings.error', clean)).toEqual({ value: 0, unit: undefined });
    expect(resolvePath('tests.total', clean)).toEqual({ value: 0, unit: undefined });
  });
});

describe('evaluate: plain comparisons', () => {
  it('yields check/expected/actual/ok in the user\'s terms', () => {
    expect(run('coverage.lines >= 65%')).toEqual({ check: 'coverage.lines >= 65%', operator: '>=', expected: '>= 65%', actual: '61.2%', ok: false });
    expect(run('coverage.lines >= 60')).toMatchObject({ expected: '>= 60%', actual: '61.2%', ok: true });
    expect(run('tests.failed == 1')).toMatchObject({ actual: '1', ok: true });
    expect(run('tests.total >= 17')).toMatchObject({ actual: '6', ok: false });
    expect(run('findings.security-severity.high == 0')).toMatchObject({ actual: '1', ok: false });
    expect(run('thresholds.failed == 0')).toMatchObject({ actual: '1', ok: false });
  });

  it('converts across units', () => {
    expect(run('metric.http_req_duration.p95 < 200ms')).toMatchObject({ ok: true, actual: '180ms' });
    expect(run('metric.http_req_duration.p95 < 0.2s')).toMatchObject({ ok: true, actual: '0.18s', expected: '< 0.2s' });
    expect(run('metric.http_req_duration.p95 < 0.15s')).toMatchObject({ ok: false });
    expect(run('metric.image_size <= 182MB')).toMatchObject({ ok: true });
    expect(run('metric.image_size < 175MiB')).toMatchObject({ ok: true }); // 175 MiB = 183.5 MB
    expect(run('metric.image_size < 173MiB')).toMatchObject({ ok: false, actual: '173.6MiB' });
    expect(run('bench.parse_large.mean < 5ms')).toMatchObject({ ok: true, actual: '4.2ms' });
    expect(run('bench.parse_large.mean < 4000us')).toMatchObject({ ok: false });
  });

  it('reads a unitless metric against a percent as a ratio, and says so', () => {
    const c = run('metric.checks.rate >= 99%');
    expect(c).toMatchObject({ ok: true, actual: '99.5%' });
    expect(c.message).toMatch(/ratio 0\.\.1/);
    expect(run('metric.checks.rate >= 99.9%').ok).toBe(false);
  });

  it('compares opaque units and plain numbers as given', () => {
    expect(run('metric.rps > 100')).toMatchObject({ ok: true, actual: '120 req/s' });
    expect(run('metric.model.v2.mrr >= 0.75')).toMatchObject({ ok: true, actual: '0.78' });
    expect(run('bench.parse_large.ops > 300').ok).toBe(false);
  });

  it('fails on a unit mismatch found at run time', () => {
    expect(run('metric.http_req_duration.p95 < 10MB')).toMatchObject({ ok: false, actual: 'unit mismatch', message: expect.stringMatching(/cannot compare metric.http_req_duration.p95 \(is in ms\) with 10MB \[EXPECT_UNIT\]/) });
    expect(run('metric.http_req_duration.p95 < 200')).toMatchObject({ ok: false, message: expect.stringMatching(/is a time .*write the unit, e.g. "200ms"/) });
    expect(run('metric.rps > 100ms')).toMatchObject({ ok: false });
    expect(run('metric.model.v2.mrr < 2s')).toMatchObject({ ok: false, message: expect.stringMatching(/has no unit/) });
  });

  it('fails a check whose path is missing from the evidence', () => {
    expect(run('metric.nope < 1ms')).toMatchObject({ ok: false, actual: 'missing', message: expect.stringMatching(/no metric named metric.nope/) });
    expect(run('coverage.lines >= 65%', evidence({}))).toMatchObject({ ok: false, actual: 'missing' });
  });

  it('compares floats with a small relative tolerance', () => {
    const e = evidence({ metrics: [{ name: 'metric.sum', value: 0.1 + 0.2 }] });
    expect(run('metric.sum == 0.3', e).ok).toBe(true);
    expect(run('metric.sum != 0.3', e).ok).toBe(false);
    expect(run('metric.sum <= 0.3', e).ok).toBe(true);
    expect(run('metric.sum > 0.3', e).ok).toBe(false);
    expect(run('metric.sum == 0.3001', e).ok).toBe(false);
  });
});

const cfg: BaselinePolicy = { branch: 'main', require: false, runs: 5, minRuns: 3, warnPct: 10, failPct: 20, metrics: {} };
function samples(values: number[]): BaselineSample[] {
  return values.map((value, i) => ({ value, runId: `r${i}`, version: `1.0.${i}`, commit: `c${i}`, startedAt: `2026-11-${String(20 - i).padStart(2, '0')}T10:00:00Z`, branch: 'main' }));
}

describe('evaluate: baselines', () => {
  const withBaseline = (values: number[], c: BaselinePolicy = cfg): EvalContext => ({ ...ctx, baseline: (p) => (p === 'coverage.lines' || p === 'bench.parse_large.mean' ? { samples: samples(values), cfg: c } : undefined) });

  it('moves a percent baseline by percentage points', () => {
    const c = run('coverage.lines >= baseline - 1%', ev, withBaseline([62, 62, 61, 63, 62]));
    expect(c).toMatchObject({ ok: true, expected: '>= 61%', actual: '61.2%' });
    expect(c.message).toMatch(/baseline 62% - 1% \(points\) \(median of 5 READY runs on main, 2026-11-16..2026-11-20\)/);
    expect(run('coverage.lines >= baseline - 0.5%', ev, withBaseline([62, 62, 62])).ok).toBe(false);
  });

  it('moves any other baseline by a relative percent or an absolute amount', () => {
    expect(run('bench.parse_large.mean <= baseline + 10%', ev, withBaseline([4, 4, 4]))).toMatchObject({ ok: true, expected: '<= 4.4ms' });
    expect(run('bench.parse_large.mean <= baseline + 2%', ev, withBaseline([4, 4, 4])).ok).toBe(false);
    expect(run('bench.parse_large.mean <= baseline + 0.1ms', ev, withBaseline([4, 4, 4])).ok).toBe(false);
    expect(run('bench.parse_large.mean <= baseline + 300us', ev, withBaseline([4, 4, 4])).ok).toBe(true);
    expect(run('bench.parse_large.mean <= baseline', ev, withBaseline([4, 4, 4])).ok).toBe(false);
  });

  it('passes with a warning until enough runs exist', () => {
    const c = run('bench.parse_large.mean <= baseline', ev, withBaseline([4]));
    expect(c).toMatchObject({ ok: true, severity: 'warn', message: 'no baseline yet: 1 of 3 READY runs on main' });
    expect(run('bench.parse_large.mean within baseline', ev, ctx)).toMatchObject({ ok: true, severity: 'warn' });
  });

  it('judges drift for "within baseline" under the expectation\'s own text', () => {
    const c = run('bench.parse_large.mean within baseline', ev, withBaseline([3.7, 3.7, 3.7]));
    expect(c).toMatchObject({ check: 'bench.parse_large.mean within baseline', ok: false, severity: 'warn' });
    expect(c.message).toMatch(/\+13\.5% > warn 10% → WARN$/);
    expect(run('bench.parse_large.mean within baseline', ev, withBaseline([3.2, 3.2, 3.2]))).toMatchObject({ ok: false });
    expect(run('bench.parse_large.mean within baseline', ev, withBaseline([3.2, 3.2, 3.2])).severity).toBeUndefined();
    expect(run('bench.parse_large.mean within baseline', ev, withBaseline([4.1, 4.2, 4.3])).ok).toBe(true);
  });

  it('converts samples recorded in another unit', () => {
    const c: EvalContext = { baseline: () => ({ samples: samples([0.004, 0.004, 0.004]), cfg, unit: 's' }) };
    expect(run('bench.parse_large.mean <= baseline + 10%', ev, c).ok).toBe(true);
    const bad: EvalContext = { baseline: () => ({ samples: samples([1, 1, 1]), cfg, unit: 'MB' }) };
    expect(run('bench.parse_large.mean within baseline', ev, bad)).toMatchObject({ ok: false, actual: 'unit mismatch' });
  });
});

describe('countTests and defaultTestChecks', () => {
  it('keeps quarantined failures out of failed/errors', () => {
    expect(countTests(ev.tests, quarantine)).toEqual({ total: 6, passed: 2, failed: 1, errors: 1, skipped: 1, flaky: 1, quarantined: 1 });
    expect(countTests(ev.tests)).toMatchObject({ failed: 2, quarantined: 0 });
  });

  it('adds executed/failed/errors checks for a gate with tests', () => {
    const checks = defaultTestChecks(ev, [], ctx);
    expect(checks.map((c) => [c.check, c.actual, c.ok])).toEqual([
      ['tests.executed >= 1', '5', true],
      ['tests.failed == 0', '1', false],
      ['tests.errors == 0', '1', false],
    ]);
    expect(checks[1]?.message).toBe('1 quarantined failure not counted');
  });

  it('fails a test gate that ran zero tests', () => {
    const checks = defaultTestChecks(evidence({ reports: [junit] }), []);
    expect(checks[0]).toMatchObject({ check: 'tests.executed >= 1', ok: false, message: 'no test ran: the reports list no tests' });
    const allSkipped = defaultTestChecks(evidence({ tests: [test('a::s', 'skipped')] }), []);
    expect(allSkipped[0]).toMatchObject({ ok: false, message: 'no test ran: all 1 tests were skipped' });
    expect(defaultTestChecks(emptyEvidence(), [], { declaredTestReports: true })[0]?.ok).toBe(false);
  });

  it('lets the user\'s expect replace a default, but tests.total never replaces "at least one test ran"', () => {
    const user = ['tests.total >= 17', 'tests.failed <= 1'].map(parseExpectation);
    expect(defaultTestChecks(ev, user, ctx).map((c) => c.check)).toEqual(['tests.executed >= 1', 'tests.errors == 0']);
    const skippedOnly = evidence({ tests: [test('s::a', 'skipped'), test('s::b', 'skipped')], reports: [junit] });
    expect(defaultTestChecks(skippedOnly, [parseExpectation('tests.total >= 2')], ctx)[0]).toMatchObject({ check: 'tests.executed >= 1', ok: false });
    expect(defaultTestChecks(ev, [parseExpectation('tests.errors <= 3'), parseExpectation('tests.executed >= 2')], ctx).map((c) => c.check)).toEqual(['tests.failed == 0']);
  });

  it('adds nothing to a gate without tests, unless its expect is about tests', () => {
    expect(defaultTestChecks(evidence({ reports: [sarif] }), [parseExpectation('findings.error == 0')])).toEqual([]);
    const checks = defaultTestChecks(emptyEvidence(), [parseExpectation('tests.failed == 0')]);
    expect(checks.map((c) => [c.check, c.ok])).toEqual([
      ['tests.executed >= 1', false],
      ['tests.errors == 0', true],
    ]);
  });
});

describe('evidenceCounts: streamed evidence (testTotals, and only the tests the decision needs)', () => {
  // 100,000 tests were read; the evidence kept the failing and flaky ones.
  const streamed = (): Evidence =>
    evidence({
      tests: [test('a::ok2', 'passed', { flaky: true, attempts: 2 }), test('a::bad', 'failed', { message: 'boom' }), test('a::err', 'error'), test('q::known-bad', 'failed')],
      testTotals: { total: 100_000, passed: 98_000, failed: 2, errors: 1, skipped: 1_997, flaky: 1 },
      reports: [junit],
    });

  it('takes totals from testTotals and failures (with quarantine) from the kept tests', () => {
    expect(evidenceCounts(streamed(), quarantine)).toEqual({ total: 100_000, passed: 98_000, failed: 1, errors: 1, skipped: 1_997, flaky: 1, quarantined: 1 });
    expect(evidenceCounts(streamed())).toEqual({ total: 100_000, passed: 98_000, failed: 2, errors: 1, skipped: 1_997, flaky: 1, quarantined: 0 });
    // Without totals it is countTests over the tests.
    expect(evidenceCounts(ev, quarantine)).toEqual(countTests(ev.tests, quarantine));
  });

  it('fails closed: failures the totals count but the evidence did not keep still count as failures', () => {
    const e = streamed();
    e.testTotals = { ...e.testTotals!, failed: 7, errors: 3 };
    expect(evidenceCounts(e, quarantine)).toMatchObject({ failed: 6, errors: 3, quarantined: 1 });
  });

  it('every tests.* path and the default checks read the totals', () => {
    const e = streamed();
    const c: EvalContext = { quarantined: quarantine, declaredTestReports: true };
    expect(resolvePath('tests.total', e, c)?.value).toBe(100_000);
    expect(resolvePath('tests.executed', e, c)?.value).toBe(100_000 - 1_997);
    expect(resolvePath('tests.quarantined', e, c)?.value).toBe(1);
    expect(resolvePath('tests.pass-rate', e, c)?.value).toBeCloseTo((98_000 / 98_002) * 100, 6);
    expect(defaultTestChecks(e, [], c).map((x) => [x.check, x.actual, x.ok])).toEqual([
      ['tests.executed >= 1', '98003', true],
      ['tests.failed == 0', '1', false],
      ['tests.errors == 0', '1', false],
    ]);
    // Even with no test kept at all, the totals say tests ran.
    const clean = evidence({ testTotals: { total: 5, passed: 5, failed: 0, errors: 0, skipped: 0, flaky: 0 } });
    expect(defaultTestChecks(clean, []).map((x) => [x.check, x.ok])).toEqual([
      ['tests.executed >= 1', true],
      ['tests.failed == 0', true],
      ['tests.errors == 0', true],
    ]);
  });

  it('is remembered per evidence and lookup, and counted again when either changes', () => {
    const e = streamed();
    let calls = 0;
    const q = (id: string) => {
      calls++;
      return quarantine(id);
    };
    evidenceCounts(e, q);
    const once = calls;
    for (let i = 0; i < 10; i++) evidenceCounts(e, q);
    expect(calls).toBe(once);
    e.tests.push(test('a::new-bad', 'failed'));
    expect(evidenceCounts(e, q).failed).toBe(2);
    expect(evidenceCounts(e).quarantined).toBe(0);
    // A caller changing the returned counts changes nothing remembered.
    evidenceCounts(e, q).failed = 99;
    expect(evidenceCounts(e, q).failed).toBe(2);
  });
});

describe('rates', () => {
  const slope = evidence({ metrics: [{ name: 'metric.soak.rss.slope', value: 2_600_000, unit: 'B/min' }] });
  it('a rate compares with a rate in any size and time unit', () => {
    expect(evaluate(parseExpectation('metric.soak.rss.slope < 3MB/min'), slope)).toMatchObject({ ok: true, actual: '2.6MB/min' });
    // 2.6 MB a minute is more than 40 KB a second (2.4 MB a minute).
    expect(evaluate(parseExpectation('metric.soak.rss.slope < 40KB/s'), slope)).toMatchObject({ ok: false });
  });
  it('HOSTILE: a rate against a plain size is a unit mismatch, not a comparison of numbers', () => {
    expect(evaluate(parseExpectation('metric.soak.rss.slope < 1GB'), slope)).toMatchObject({ ok: false, actual: 'unit mismatch' });
  });
});
