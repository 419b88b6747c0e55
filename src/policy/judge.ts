/**
 * A gate's outcome judged against policy: its checks (run facts, report problems, expectations,
 * fail-closed defaults, drift), quarantine and flakiness → one verdict. Pure.
 */
import type { GateConfig } from '../config/types.js';
import { formatDuration } from '../util/duration-format.js';
import type { Check, GateOutcome, GateVerdict } from '../decide/types.js';
import { emptyEvidence, TEST_FORMATS, type Evidence, type TestResult } from '../evidence/model.js';
import { countTests, defaultTestChecks, evaluate, type BaselineInput, type EvalContext } from './expect-eval.js';
import { parseExpectation, type Expectation } from './expect-parse.js';
import { isExempt, type QuarantineMatch } from './quarantine.js';
import { failedStatus } from './severity.js';

export interface JudgeContext {
  quarantine?(testId: string): QuarantineMatch | undefined;
  baseline?(path: string): BaselineInput | undefined;
  /** Tests of this gate that became flaky in this run (not flaky in history before). */
  newlyFlaky?(tests: TestResult[]): { testId: string; why: string }[];
  approveCommand?(gate: string): string;
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

function expectationChecks(gate: GateConfig, ev: Evidence, ctx: EvalContext): Check[] {
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
  return checks;
}

/** The one line that says why a gate failed: failing tests first (they are what people fix), then the first failed check. */
function failureReason(v: GateVerdict, blocking: Check[]): string | undefined {
  const n = v.counts;
  const bad = n ? n.failed + n.errors : 0;
  if (n && bad > 0) {
    const executed = n.total - n.skipped;
    return `${bad} of ${executed} test${executed === 1 ? '' : 's'} ${n.errors && !n.failed ? 'errored' : 'failed'}`;
  }
  const first = blocking.find((c) => c.check !== 'command exit code') ?? blocking[0];
  if (!first) return undefined;
  return first.message && !first.ok && first.check.startsWith('tests.') ? first.message : `${first.check}: expected ${first.expected}, got ${first.actual}`;
}

/**
 * Test runners exit non-zero when any test fails, quarantined or not. When the report was read and
 * every failure in it is quarantined, that exit code says nothing more than the quarantine already
 * accounts for, so it must not block on its own.
 */
function explainExitByQuarantine(v: GateVerdict): void {
  const n = v.counts;
  if (!n || n.quarantined === 0 || n.failed > 0 || n.errors > 0) return;
  const i = v.checks.findIndex((c) => c.check === 'command exit code' && !c.ok && /^\d+$/.test(c.actual));
  if (i === -1) return;
  const c = v.checks[i]!;
  v.checks[i] = { ...c, ok: true, message: `exit code ${c.actual} is explained by ${n.quarantined} quarantined failure${n.quarantined === 1 ? '' : 's'}` };
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
      baseline: ctx.baseline,
      quarantined: ctx.quarantine,
      declaredTestReports: ev.reports.some((r) => r.format !== undefined && TEST_FORMATS.includes(r.format)),
    };
    base.checks.push(...reportChecks(ev), ...expectationChecks(gate, ev, evalCtx));
    if (ev.tests.length || evalCtx.declaredTestReports) base.counts = countTests(ev.tests, ctx.quarantine);
    const failing = ev.tests.filter((t) => t.status === 'failed' || t.status === 'error');
    base.failingTests = failing.map((t) => ({ id: t.id, status: t.status, message: t.message, ...(isExempt(ctx.quarantine?.(t.id)) ? { quarantined: true } : {}) }));
    for (const t of failing) {
      const q = ctx.quarantine?.(t.id);
      if (q?.expired) base.warnings.push(`quarantine of ${t.id} expired on ${q.rule.until}; its failure blocks again`);
    }
    for (const f of ctx.newlyFlaky?.(ev.tests) ?? []) base.warnings.push(`newly flaky: ${f.testId} (${f.why})`);
    explainExitByQuarantine(base);
  }

  // A check may carry its own lower severity (a drift check without enough history only warns).
  const downgraded = (c: Check) => c.severity === 'warn' || c.severity === 'info';
  const blocking = base.checks.filter((c) => !c.ok && !downgraded(c));
  for (const c of base.checks) {
    if (!c.ok && downgraded(c)) base.warnings.push(c.message ?? `${c.check}: expected ${c.expected}, got ${c.actual}`);
    // A passing check can still have something to say (a drift check without enough history yet).
    else if (c.ok && c.severity === 'warn' && c.message) base.warnings.push(c.message);
  }
  // Every failed outcome carries the failing check that says why (the gate task guarantees it),
  // so the checks decide, after the quarantine had its say about the exit code.
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
