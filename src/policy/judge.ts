/**
 * A gate's outcome judged against policy: its checks (run facts, report problems, expectations,
 * fail-closed defaults, drift), quarantine and flakiness → one verdict. Pure.
 */
import { isAbsolute, resolve } from 'node:path';
import type { GateConfig } from '../config/types.js';
import { formatDuration } from '../util/duration-format.js';
import type { Check, FindingSummary, GateOutcome, GateVerdict, StepRecord } from '../model/types.js';
import { emptyEvidence, TEST_FORMATS, type Evidence, type Finding, type TestResult } from '../model/evidence.js';
import type { BaselinePolicy } from './baseline.js';
import {
  countedFindings,
  defaultTestChecks,
  evidenceCounts,
  evaluate,
  newFindingTest,
  type BaselineInput,
  type EvalContext,
  type FindingsBaseline,
} from './expect-eval.js';
import { parseExpectation, type Expectation } from '../config/expect-parse.js';
import { lookupPath, splitPath, type PathInfo } from '../config/expect-paths.js';
import { isExempt, type QuarantineMatch } from './quarantine.js';
import { failedStatus } from './severity.js';

export interface JudgeContext {
  quarantine?(testId: string): QuarantineMatch | undefined;
  /** Samples for a path of a gate (its own earlier values), or undefined when history offers none. */
  baseline?(gate: string, path: string): BaselineInput | undefined;
  /** The findings the gate's baseline run saw. */
  findingsBaseline?(gate: string): FindingsBaseline;
  /** Baseline settings, for checks without any baseline (the require flag). */
  baselinePolicy?: BaselinePolicy;
  /** Tests of this gate that became flaky in this run (not flaky in history before). */
  newlyFlaky?(tests: TestResult[]): { testId: string; why: string }[];
  approveCommand?(gate: string): string;
}

/** Findings listed in a verdict: enough to act on, bounded for a scanner that reports a million. */
export const FINDINGS_SHOWN = 20;
/**
 * The step that wrote a file stamped `mtimeMs`: the last one started by then, if the file was
 * written before it ended. No slack on either side: the next step starts only after this one has
 * exited, often within milliseconds of its last write, and file times come from the kernel's coarse
 * clock, which runs behind the one that timed the steps — so a stamp can only look earlier than
 * the write, never later. A file that looks older than every step belongs to none (fail closed).
 */
function writerOf(mtimeMs: number, steps: readonly StepRecord[]): StepRecord | undefined {
  let owner: StepRecord | undefined;
  for (const s of steps) if (s.startedAtMs <= mtimeMs && (!owner || s.startedAtMs > owner.startedAtMs)) owner = s;
  return owner && mtimeMs <= owner.endedAtMs ? owner : undefined;
}

function reportChecks(ev: Evidence): Check[] {
  return ev.reports
    .filter((r) => !r.ok)
    .map((r) => ({
      check: `report ${r.path}`,
      expected: r.format ? `a readable ${r.format} report` : 'a readable report',
      actual: r.error ? `${r.error.message} [${r.error.code}]` : 'unreadable',
      ok: false,
    }));
}

function expectationChecks(gate: GateConfig, ev: Evidence, ctx: EvalContext): { checks: Check[]; parsed: Expectation[] } {
  const parsed: Expectation[] = [];
  const checks: Check[] = [];
  for (const text of gate.expect) {
    try {
      parsed.push(parseExpectation(text));
    } catch (e) {
      // Validated at load time; a failure here means the expression depends on run-time facts.
      checks.push({ check: text, expected: 'a valid expectation', actual: (e as Error).message, ok: false });
    }
  }
  checks.push(...defaultTestChecks(ev, parsed, ctx));
  for (const e of parsed) checks.push(evaluate(e, ev, ctx));
  return { checks, parsed };
}

const isTestCheck = (c: Check): boolean => c.check.startsWith('tests.');
const isExitCheck = (c: Check): boolean => c.check === 'command exit code' || /^step \d+ exit code$/.test(c.check);

/** The step an exit check is about. */
function stepOf(c: Check, steps: readonly StepRecord[]): StepRecord | undefined {
  if (c.check === 'command exit code') return steps[0];
  const n = Number(/^step (\d+) exit code$/.exec(c.check)?.[1]);
  return steps.find((s) => s.index === n);
}

/**
 * Test runners exit with their "tests failed" code when any test fails, quarantined or not. That
 * code says nothing more than the reports do when, and only when: the step is one simple command
 * (its exit code is the runner's own, not a later step's), its code is one of the gate's
 * `exit-codes.tests-failed` (default 1; never a signal, a crash code or a usage error), it wrote
 * at least one test report while it ran, those reports list failing tests, and every test check of
 * the gate passes — the failures are quarantined, or within the gate's own tolerance
 * (`tests.failed <= 1`). Then the exit check passes, saying why. In every other case it stands.
 */
function explainExitCodes(v: GateVerdict, gate: GateConfig, outcome: GateOutcome, ev: Evidence | undefined, quarantine: JudgeContext['quarantine']): void {
  const steps = outcome.steps ?? [];
  const testChecks = v.checks.filter(isTestCheck);
  const testsAccountedFor = testChecks.length > 0 && testChecks.every((c) => c.ok);
  v.checks = v.checks.map((c) => {
    if (c.ok || !isExitCheck(c)) return c;
    const step = stepOf(c, steps);
    if (!step || step.exitCode === null || !gate.testsFailedExitCodes.includes(step.exitCode)) return c;
    const code = step.exitCode;
    // Failures the policy does not accept fail the gate anyway; the exit code needs no excuse then.
    if (!testsAccountedFor) return c;
    const unexplained = (why: string): Check => ({ ...c, message: c.message ? `${c.message}: ${why}` : why });
    if (!step.single) {
      return unexplained(
        `exit code ${code} cannot be attributed to the test runner: this command has several steps (;, &&, ||, | or a newline), so the code may be another step's; write the steps as a \`run:\` list`,
      );
    }
    // Each report belongs to the one step that wrote it: a later step cannot borrow an earlier step's report.
    const written = (ev?.reports ?? []).filter(
      (r) => r.ok && r.format !== undefined && TEST_FORMATS.includes(r.format) && r.mtimeMs !== undefined && writerOf(r.mtimeMs, steps) === step,
    );
    if (written.length === 0) return unexplained(`no test report was written while this step ran, so nothing explains exit code ${code}`);
    const sources = new Set(written.map((r) => r.path));
    const failing = (ev?.tests ?? []).filter((t) => t.source !== undefined && sources.has(t.source) && (t.status === 'failed' || t.status === 'error'));
    if (failing.length === 0) return unexplained(`its reports list no failing test, so exit code ${code} has another cause`);
    const quarantined = failing.filter((t) => isExempt(quarantine?.(t.id))).length;
    const tolerated = failing.length - quarantined;
    const parts = [
      quarantined ? `${quarantined} quarantined failure${quarantined === 1 ? '' : 's'}` : '',
      tolerated ? `${tolerated} failure${tolerated === 1 ? '' : 's'} within ${tolerance(testChecks)}` : '',
    ].filter(Boolean);
    return { ...c, ok: true, message: `exit code ${code} is the runner's "tests failed" code, explained by ${parts.join(' and ')}` };
  });
}

/** The gate's own checks that allow failures (`tests.failed <= 1`), as the user wrote them. */
function tolerance(testChecks: Check[]): string {
  const own = testChecks.filter((c) => /^tests\.(failed|errors)\b/.test(c.check) && c.check !== 'tests.failed == 0' && c.check !== 'tests.errors == 0');
  return own.map((c) => `\`${c.check}\``).join(' and ') || 'the test checks';
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

/** A shell reports a child killed by signal N as exit 128+N: say so, it is the real cause. */
function signalNote(actual: string): string {
  const code = Number(actual);
  const sig = Number.isInteger(code) && code > 128 ? SIGNALS[code - 128] : undefined;
  return sig ? ` (killed by ${sig})` : '';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One cause per failed blocking check, worded for people; test-count checks become "3 of 15 tests failed". */
function failureReason(v: GateVerdict, blocking: Check[]): string | undefined {
  const causes: string[] = [];
  const n = v.counts;
  const testChecks = blocking.filter(isTestCheck);
  if (testChecks.length) {
    const bad = n ? n.failed + n.errors : 0;
    const executed = n ? n.total - n.skipped : 0;
    const countsSay = n && bad > 0 && testChecks.some((c) => /^tests\.(failed|errors)\b/.test(c.check) && !c.check.includes('baseline'));
    if (countsSay) causes.push(`${bad} of ${plural(executed, 'test')} ${n.errors && !n.failed ? 'errored' : 'failed'}`);
    for (const c of testChecks) {
      if (countsSay && /^tests\.(failed|errors) [=<>!]/.test(c.check) && !c.check.includes('baseline')) continue;
      causes.push(c.message && c.check.startsWith('tests.executed >= 1') ? c.message : `${c.check}: expected ${c.expected}, got ${c.actual}`);
    }
  }
  for (const c of blocking) {
    if (isTestCheck(c)) continue;
    if (isExitCheck(c)) {
      const where = c.check.replace(' exit code', '');
      if (c.actual.startsWith('no exit status')) causes.push(`${where}: ${c.actual}`);
      else causes.push(c.actual.startsWith('killed') ? `command ${c.actual}` : `${c.check.replace(' code', '')} ${c.actual}${signalNote(c.actual)}`);
    }
    else if (c.check.startsWith('report ')) causes.push(`${c.check}: ${c.actual}`);
    // A baseline check explains itself (the baseline, how it was made, or why there is none).
    else if (c.message && / baseline\b/.test(c.check)) causes.push(`${c.check}: ${c.message}`);
    else causes.push(`${c.check}: expected ${c.expected}, got ${c.actual}`);
  }
  return causes.length ? causes.join('; ') : undefined;
}

const LEVEL_RANK: Record<string, number> = { error: 0, warning: 1, note: 2, none: 3 };

/** Which findings a failing findings check is about (`findings.error` → the errors; `findings.rule["x"]` → rule x). */
function findingFilter(info: PathInfo, isNew: ((f: Finding) => boolean) | undefined): ((f: Finding) => boolean) | undefined {
  switch (info.kind) {
    case 'findings':
      if (info.level === 'new') return isNew ?? (() => true);
      if (info.level === 'total' || info.level === 'suppressed') return () => true;
      return (f) => f.level === info.level;
    case 'security':
      return (f) => f.securitySeverity === info.severity;
    case 'rule':
      return (f) => f.ruleId === info.name;
    case 'tool':
      return (f) => f.tool === info.name;
    default:
      return undefined;
  }
}

function pathInfo(text: string): PathInfo | undefined {
  const split = splitPath(text);
  if (!split.ok) return undefined;
  const found = lookupPath(split.segments);
  return found.ok ? found.info : undefined;
}

/** The findings behind failing findings checks: most severe first, new before known, at most 20. */
function failingFindings(failed: Check[], parsed: Expectation[], ev: Evidence, evalCtx: EvalContext): { list: FindingSummary[]; total: number } | undefined {
  const bySource = new Map(parsed.map((e) => [e.source, e]));
  const newTest = newFindingTest(ev, evalCtx);
  const isNew = typeof newTest === 'function' ? newTest : undefined;
  const filters = failed
    .map((c) => bySource.get(c.check))
    .filter((e): e is Expectation => e !== undefined)
    .map((e) => pathInfo(e.path))
    .map((info) => (info ? findingFilter(info, isNew) : undefined))
    .filter((f): f is (f: Finding) => boolean => f !== undefined);
  if (filters.length === 0) return undefined;
  const relevant = countedFindings(ev).filter((f) => filters.some((keep) => keep(f)));
  const ranked = relevant
    .map((f) => ({ f, isNew: isNew?.(f) ?? false }))
    .sort((a, b) => (LEVEL_RANK[a.f.level] ?? 9) - (LEVEL_RANK[b.f.level] ?? 9) || Number(b.isNew) - Number(a.isNew) || (a.f.file ?? '').localeCompare(b.f.file ?? '') || (a.f.line ?? 0) - (b.f.line ?? 0));
  const list = ranked.slice(0, FINDINGS_SHOWN).map(({ f, isNew: n }): FindingSummary => ({
    level: f.level,
    rule: f.ruleId,
    tool: f.tool,
    ...(f.file !== undefined ? { file: f.file } : {}),
    ...(f.line !== undefined ? { line: f.line } : {}),
    message: f.message.length > 300 ? `${f.message.slice(0, 299)}…` : f.message,
    ...(isNew ? { new: n } : {}),
  }));
  return { list, total: relevant.length };
}

/** k6 thresholds that failed, named as k6 wrote them: `http_req_duration: p(95)<200`. */
function thresholdNote(ev: Evidence): string | undefined {
  const failed = ev.thresholds.filter((t) => !t.ok);
  if (failed.length === 0) return undefined;
  const shown = failed.slice(0, 10).map((t) => `${t.metric}: ${t.expression}`);
  return `failed thresholds: ${shown.join(', ')}${failed.length > 10 ? `, and ${failed.length - 10} more` : ''}`;
}

/** The least-covered files for a failing coverage check: where the gap is. */
function coverageGaps(ev: Evidence, counter: 'lines' | 'branches' | 'functions' | 'statements'): string | undefined {
  const files = (ev.coverage?.files ?? [])
    .map((f) => ({ file: f.file, c: f[counter] }))
    .filter((x): x is { file: string; c: NonNullable<typeof x.c> } => x.c !== undefined && x.c.pct !== null && x.c.total > 0)
    .sort((a, b) => a.c.pct! - b.c.pct! || b.c.total - a.c.total);
  if (files.length === 0) return undefined;
  const shown = files.slice(0, 5).map((x) => `${x.file} ${x.c.pct!.toFixed(1)}% (${x.c.covered}/${x.c.total})`);
  return `least covered: ${shown.join(', ')}${files.length > 5 ? `, … (${files.length} files)` : ''}`;
}

/** Failing checks get the facts that explain them: failed thresholds, coverage gaps. */
function explainFailures(checks: Check[], parsed: Expectation[], ev: Evidence): Check[] {
  const bySource = new Map(parsed.map((e) => [e.source, e]));
  return checks.map((c) => {
    if (c.ok) return c;
    const e = bySource.get(c.check);
    const info = e ? pathInfo(e.path) : undefined;
    let note: string | undefined;
    if (info?.kind === 'thresholds') note = thresholdNote(ev);
    else if (info?.kind === 'coverage' && info.file === undefined) note = coverageGaps(ev, info.counter);
    if (!note) return c;
    return { ...c, message: c.message ? `${c.message}; ${note}` : note };
  });
}

export function judgeGate(gate: GateConfig, outcome: GateOutcome, ctx: JudgeContext = {}): GateVerdict {
  const base: GateVerdict = {
    id: gate.id,
    title: gate.title,
    status: 'pass',
    severity: gate.severity,
    durationMs: outcome.durationMs,
    attempts: outcome.attempts,
    reason: outcome.reason,
    checks: [...outcome.checks],
    logPath: outcome.logPath,
    logTail: outcome.logTail,
    failingTests: [],
    warnings: [],
    ranWithout: outcome.ranWithout,
    artifacts: outcome.artifacts,
  };

  switch (outcome.status) {
    case 'skipped':
      return { ...base, status: 'skip', logPath: undefined };
    case 'not-run':
      return { ...base, status: 'not-run', logPath: undefined };
    case 'cancelled':
      return { ...base, status: 'cancelled' };
    case 'pending':
      return { ...base, status: 'pending', logPath: undefined, approveCommand: ctx.approveCommand?.(gate.id) };
  }

  // Expectations are judged even when no report produced evidence: they then fail, saying why.
  const ev = outcome.evidence ?? (gate.expect.length ? emptyEvidence() : undefined);
  if (ev) {
    const evalCtx: EvalContext = {
      baseline: ctx.baseline ? (path) => ctx.baseline!(gate.id, path) : undefined,
      findingsBaseline: ctx.findingsBaseline ? () => ctx.findingsBaseline!(gate.id) : undefined,
      baselinePolicy: ctx.baselinePolicy,
      quarantined: ctx.quarantine,
      declaredTestReports: ev.reports.some((r) => r.format !== undefined && TEST_FORMATS.includes(r.format)),
    };
    if (ev.reports.length) base.reports = ev.reports.map((r) => ({ path: isAbsolute(r.path) ? r.path : resolve(gate.cwd, r.path), ...(r.format ? { format: r.format } : {}), ok: r.ok }));
    const { checks, parsed } = expectationChecks(gate, ev, evalCtx);
    base.checks.push(...reportChecks(ev), ...explainFailures(checks, parsed, ev));
    if (ev.tests.length || ev.testTotals?.total || evalCtx.declaredTestReports) base.counts = evidenceCounts(ev, ctx.quarantine);
    const failing = ev.tests.filter((t) => t.status === 'failed' || t.status === 'error');
    base.failingTests = failing.map((t) => ({ id: t.id, status: t.status, message: t.message, ...(isExempt(ctx.quarantine?.(t.id)) ? { quarantined: true } : {}) }));
    for (const t of failing) {
      const q = ctx.quarantine?.(t.id);
      if (q?.expired) base.warnings.push(`quarantine of ${t.id} expired on ${q.rule.until}; its failure blocks again`);
    }
    for (const f of ctx.newlyFlaky?.(ev.tests) ?? []) base.warnings.push(`newly flaky: ${f.testId} (${f.why})`);
    const findings = failingFindings(checks.filter((c) => !c.ok), parsed, ev, evalCtx);
    if (findings) {
      base.findings = findings.list;
      base.findingsTotal = findings.total;
    }
  }
  explainExitCodes(base, gate, outcome, ev, ctx.quarantine);

  // A check may carry its own lower severity (a drift check without enough history only warns).
  const downgraded = (c: Check) => c.severity === 'warn' || c.severity === 'info';
  const blocking = base.checks.filter((c) => !c.ok && !downgraded(c));
  for (const c of base.checks) {
    if (!c.ok && downgraded(c)) base.warnings.push(c.message ?? `${c.check}: expected ${c.expected}, got ${c.actual}`);
    // A passing check can still have something to say (a drift check without enough history yet).
    else if (c.ok && c.severity === 'warn' && c.message) base.warnings.push(c.message);
  }
  // Every failed outcome carries the failing check that says why (the gate task guarantees it),
  // so the checks decide, after the exit code had its chance to be explained.
  const failed = outcome.status === 'timed-out' || blocking.length > 0;
  if (failed) {
    return { ...base, status: failedStatus(gate.severity), reason: outcome.reason ?? failureReason(base, blocking) };
  }
  if (gate.budgetMs !== undefined && outcome.durationMs > gate.budgetMs) {
    base.warnings.push(`over budget: took ${formatDuration(outcome.durationMs)}, budget ${formatDuration(gate.budgetMs)}`);
  }
  if (outcome.ranWithout?.length) base.warnings.push(`ran without ${outcome.ranWithout.join(', ')} (not selected in this run)`);
  if (outcome.failedAttempts?.length) {
    base.warnings.push(`passed on attempt ${outcome.attempts} of ${gate.retry.attempts} (${outcome.failedAttempts.map((a) => `#${a.attempt}: ${a.reason}`).join('; ')})`);
  }
  return { ...base, reason: undefined, logTail: undefined };
}
