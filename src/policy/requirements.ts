/**
 * Requirements: named claims ("API contract tests all pass") backed by the tests that prove them.
 * A requirement passes only on evidence: every pattern matched at least one test of this run, and
 * every matched test ran and passed. Nothing matched, skipped or failed is ever silent — each is
 * named in the verdict.
 */
import type { RequirementConfig } from '../config/types.js';
import type { RequirementStatus, RequirementVerdict } from '../decide/types.js';
import type { TestResult } from '../evidence/model.js';
import { matchRequirementPattern } from '../evidence/testid.js';
import { describeQuarantine, type QuarantineMatch } from './quarantine.js';
import { failedStatus } from './severity.js';

/** Placed in `unmatched` when a requirement lists no patterns at all: it maps nothing, so it proves nothing. */
export const NO_PATTERNS = '(no test patterns declared)';


/**
 * Judge each requirement against the tests of this run. A mapped test under a quarantine still in
 * force proves nothing, whether it failed or passed (a quarantined test is one nobody trusts): it
 * is listed in `unproven`, and the requirement fails per its severity — quarantine keeps a gate
 * from blocking on a known-flaky test, never a claim from being proven by one. An expired
 * quarantine exempts nothing: its failure is an ordinary failure.
 */
export function judgeRequirements(
  reqs: readonly RequirementConfig[],
  testsByGate: readonly { gate: string; tests: readonly TestResult[] }[],
  quarantined?: (id: string) => QuarantineMatch | undefined,
): RequirementVerdict[] {
  return reqs.map((req) => {
    const unmatched: string[] = req.tests.length === 0 ? [NO_PATTERNS] : [];
    const matched = new Map<string, { gate: string; test: TestResult }>();
    for (const pattern of req.tests) {
      let hit = false;
      for (const { gate, tests } of testsByGate) {
        for (const test of tests) {
          if (!matchRequirementPattern(pattern, test)) continue;
          hit = true;
          matched.set(`${gate}\u0000${test.id}`, { gate, test });
        }
      }
      if (!hit) unmatched.push(pattern);
    }

    const evidence = new Map<string, { gate: string; tests: number; passed: number }>();
    const failed: RequirementVerdict['failed'] = [];
    const notRun: RequirementVerdict['notRun'] = [];
    const unproven: RequirementVerdict['unproven'] = [];
    for (const { gate, test } of matched.values()) {
      let e = evidence.get(gate);
      if (!e) evidence.set(gate, (e = { gate, tests: 0, passed: 0 }));
      e.tests++;
      const q = quarantined?.(test.id);
      if (q && !q.expired) {
        unproven.push({ id: test.id, gate, status: test.status, reason: joinMessage(`unproven (quarantined): ${describeQuarantine(q)}`, test.status === 'passed' ? undefined : test.message) });
      } else if (test.status === 'passed') {
        e.passed++;
      } else if (test.status === 'skipped') {
        notRun.push({ id: test.id, gate });
      } else {
        failed.push({ id: test.id, gate, status: test.status, message: q ? joinMessage(describeQuarantine(q), test.message) : test.message });
      }
    }

    const proven = unmatched.length === 0 && failed.length === 0 && notRun.length === 0 && unproven.length === 0;
    const status: RequirementStatus = proven ? 'pass' : failedStatus(req.severity);
    return { id: req.id, title: req.title, severity: req.severity, status, evidence: [...evidence.values()], unmatched, failed, notRun, unproven };
  });
}

function joinMessage(a: string, b: string | undefined): string {
  return b ? `${a}: ${b}` : a;
}
