/**
 * Requirements: named claims ("API contract tests all pass") backed by the tests that prove them.
 * A requirement passes only on evidence: every pattern matched at least one test of this run, and
 * every matched test ran and passed. Nothing matched, skipped or failed is ever silent — each is
 * named in the verdict.
 */
import type { RequirementConfig } from '../config/types.js';
import type { RequirementStatus, RequirementVerdict } from '../model/types.js';
import type { TestResult } from '../model/evidence.js';
import { requirementMatcher } from '../evidence/testid.js';
import { describeQuarantine, type QuarantineMatch } from './quarantine.js';
import { failedStatus } from './severity.js';

/** Placed in `unmatched` when a requirement lists no patterns at all: it maps nothing, so it proves nothing. */
export const NO_PATTERNS = '(no test patterns declared)';


/** Each of a verdict's lists (failed, not run, unproven) names at most this many tests; `truncated` gives the full counts. */
export const REQUIREMENT_LIST_CAP = 100;

interface GateEvidence {
  gate: string;
  tests: number;
  passed: number;
}

/** What is known of one requirement so far. */
interface ReqState {
  req: RequirementConfig;
  /** Per pattern: matched a test yet. */
  hit: boolean[];
  evidence: Map<string, GateEvidence>;
  failed: RequirementVerdict['failed'];
  notRun: RequirementVerdict['notRun'];
  unproven: RequirementVerdict['unproven'];
  /** Full counts of the three lists (the lists stop at the cap). */
  failedCount: number;
  notRunCount: number;
  unprovenCount: number;
}

function capped<T>(list: T[], item: T): void {
  if (list.length < REQUIREMENT_LIST_CAP) list.push(item);
}

/**
 * Requirements judged incrementally: every test of the run goes through `add` once, as it is read,
 * and `verdicts` says what they prove. Memory is the counts and the capped lists, whatever the
 * number of tests. Tallies of separate gates (or attempts) are joined with `merge`.
 *
 * A mapped test under a quarantine still in force proves nothing, whether it failed or passed (a
 * quarantined test is one nobody trusts): it is listed in `unproven`, and the requirement fails
 * per its severity — quarantine keeps a gate from blocking on a known-flaky test, never a claim from
 * being proven by one. An expired quarantine exempts nothing: its failure is an ordinary failure.
 * A test matched by several patterns of a requirement counts once; a test listed twice (in two
 * reports of a gate) counts twice, and each listing must pass.
 */
export class RequirementTally {
  private readonly states: ReqState[];
  private readonly matchers: ((t: { id: string; name: string }) => boolean)[][];

  constructor(
    readonly reqs: readonly RequirementConfig[],
    private readonly quarantined?: (id: string) => QuarantineMatch | undefined,
  ) {
    this.states = reqs.map((req) => ({
      req,
      hit: req.tests.map(() => false),
      evidence: new Map(),
      failed: [],
      notRun: [],
      unproven: [],
      failedCount: 0,
      notRunCount: 0,
      unprovenCount: 0,
    }));
    this.matchers = reqs.map((req) => req.tests.map((p) => requirementMatcher(p)));
  }

  /** Whether there is anything to judge (no requirements: nothing to add). */
  get empty(): boolean {
    return this.states.length === 0;
  }

  add(gate: string, test: TestResult): void {
    for (let r = 0; r < this.states.length; r++) {
      const st = this.states[r]!;
      const matchers = this.matchers[r]!;
      let matched = false;
      for (let p = 0; p < matchers.length; p++) {
        if (!matchers[p]!(test)) continue;
        matched = true;
        st.hit[p] = true;
      }
      if (matched) this.count(st, gate, test);
    }
  }

  private count(st: ReqState, gate: string, test: TestResult): void {
    let e = st.evidence.get(gate);
    if (!e) st.evidence.set(gate, (e = { gate, tests: 0, passed: 0 }));
    e.tests++;
    const q = this.quarantined?.(test.id);
    if (q && !q.expired) {
      st.unprovenCount++;
      capped(st.unproven, {
        id: test.id,
        gate,
        status: test.status,
        reason: joinMessage(`unproven (quarantined): ${describeQuarantine(q)}`, test.status === 'passed' ? undefined : test.message),
      });
    } else if (test.status === 'passed') {
      e.passed++;
    } else if (test.status === 'skipped') {
      st.notRunCount++;
      capped(st.notRun, { id: test.id, gate });
    } else {
      st.failedCount++;
      capped(st.failed, { id: test.id, gate, status: test.status, message: q ? joinMessage(describeQuarantine(q), test.message) : test.message });
    }
  }

  /** Take in what another tally of the same requirements saw (another gate, or a report read apart). */
  merge(other: RequirementTally): void {
    if (other.states.length !== this.states.length) throw new Error('internal: merging tallies of different requirements');
    for (let r = 0; r < this.states.length; r++) {
      const st = this.states[r]!;
      const o = other.states[r]!;
      o.hit.forEach((h, p) => (st.hit[p] ||= h));
      for (const e of o.evidence.values()) {
        const mine = st.evidence.get(e.gate);
        if (mine) {
          mine.tests += e.tests;
          mine.passed += e.passed;
        } else st.evidence.set(e.gate, { ...e });
      }
      for (const x of o.failed) capped(st.failed, x);
      for (const x of o.notRun) capped(st.notRun, x);
      for (const x of o.unproven) capped(st.unproven, x);
      st.failedCount += o.failedCount;
      st.notRunCount += o.notRunCount;
      st.unprovenCount += o.unprovenCount;
    }
  }

  verdicts(): RequirementVerdict[] {
    return this.states.map((st) => {
      const { req } = st;
      const unmatched: string[] = req.tests.length === 0 ? [NO_PATTERNS] : req.tests.filter((_, p) => !st.hit[p]);
      const proven = unmatched.length === 0 && st.failedCount === 0 && st.notRunCount === 0 && st.unprovenCount === 0;
      const status: RequirementStatus = proven ? 'pass' : failedStatus(req.severity);
      const v: RequirementVerdict = {
        id: req.id,
        title: req.title,
        severity: req.severity,
        status,
        evidence: [...st.evidence.values()].map((e) => ({ ...e })),
        unmatched,
        failed: [...st.failed],
        notRun: [...st.notRun],
        unproven: [...st.unproven],
      };
      if (st.failedCount > st.failed.length || st.notRunCount > st.notRun.length || st.unprovenCount > st.unproven.length) {
        v.truncated = { failed: st.failedCount, notRun: st.notRunCount, unproven: st.unprovenCount };
      }
      return v;
    });
  }
}

/**
 * Judge each requirement against the tests of this run (see RequirementTally, which this feeds
 * with every test of every gate, in order).
 */
export function judgeRequirements(
  reqs: readonly RequirementConfig[],
  testsByGate: readonly { gate: string; tests: readonly TestResult[] }[],
  quarantined?: (id: string) => QuarantineMatch | undefined,
): RequirementVerdict[] {
  const tally = new RequirementTally(reqs, quarantined);
  if (!tally.empty) for (const { gate, tests } of testsByGate) for (const t of tests) tally.add(gate, t);
  return tally.verdicts();
}

function joinMessage(a: string, b: string | undefined): string {
  return b ? `${a}: ${b}` : a;
}
