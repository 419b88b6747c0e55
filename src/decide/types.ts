/**
 * The values that flow out of the pipeline: a gate's outcome (what happened when it ran), its
 * verdict (what that means under policy), and the decision over all of them. Pure data: every
 * reporter renders these and nothing else.
 */
import type { Severity } from '../config/types.js';
import type { Evidence, TestResult } from '../evidence/model.js';

/** One judged fact: the record every reporter uses to say *why*. */
export interface Check {
  /** What was checked, e.g. `tests.failed == 0`, `probe GET http://…/health status`, `artifact dist/*.tgz`. */
  check: string;
  expected: string;
  actual: string;
  operator?: string;
  ok: boolean;
  /** When set, overrides the gate's severity for this check (e.g. a drift check that only warns). */
  severity?: Severity;
  message?: string;
}

export type OutcomeStatus =
  | 'passed' // ran, exit 0 (evidence not yet judged)
  | 'failed' // ran and failed: non-zero exit, a service or probe failure, an artifact out of bounds
  | 'timed-out'
  | 'skipped' // left out by selection (when/optional/--skip/--only)
  | 'not-run' // a need failed, or fail-fast stopped the run before it started
  | 'cancelled' // interrupted while running
  | 'pending'; // manual gate without a matching approval

export interface ArtifactRecord {
  path: string;
  size: number;
  sha256: string;
}

/** What the run stage observed for one gate. */
export interface GateOutcome {
  id: string;
  status: OutcomeStatus;
  /** Why it is not a plain pass/fail: skip reason, failed need, timeout, service death… */
  reason?: string;
  exitCode?: number | null;
  startedAt?: string;
  durationMs: number;
  attempts: number;
  logPath?: string;
  /** Last lines of the gate's log (and of a failed service's log), for diagnostics. */
  logTail?: string[];
  /** Facts established while running: probes, artifacts, services, exit code. */
  checks: Check[];
  evidence?: Evidence;
  artifacts?: ArtifactRecord[];
  /** Needs left out by selection: the gate ran without them. */
  ranWithout?: string[];
  /** Retried attempts that failed before a pass (per attempt: exit code and reason). */
  failedAttempts?: { attempt: number; reason: string }[];
}

export type GateStatus = 'pass' | 'fail' | 'warn' | 'info' | 'skip' | 'not-run' | 'pending' | 'cancelled';

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  flaky: number;
  quarantined: number;
}

/** A gate's outcome judged against policy. */
export interface GateVerdict {
  id: string;
  title: string;
  status: GateStatus;
  severity: Severity;
  durationMs: number;
  attempts: number;
  reason?: string;
  checks: Check[];
  logPath?: string;
  logTail?: string[];
  counts?: TestCounts;
  /** Tests that failed or errored (quarantined ones included, marked). */
  failingTests: (Pick<TestResult, 'id' | 'status' | 'message'> & { quarantined?: boolean })[];
  /** Non-blocking remarks: over budget, ran without a skipped need, newly flaky tests, drift without baseline. */
  warnings: string[];
  ranWithout?: string[];
  /** An optional gate left out because it was not enabled with --with: never a blocker, even with --strict. */
  optional?: boolean;
  artifacts?: { path: string; size: number; sha256: string }[];
  /** For a pending manual gate: the command that records an approval. */
  approveCommand?: string;
}

export type RequirementStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface RequirementVerdict {
  id: string;
  title: string;
  severity: Severity;
  status: RequirementStatus;
  /** Gates whose evidence held the mapped tests, with counts. */
  evidence: { gate: string; tests: number; passed: number }[];
  /** Patterns that matched no test of this run. */
  unmatched: string[];
  /** Mapped tests that failed or errored. */
  failed: { id: string; gate: string; status: string; message?: string }[];
  /** Mapped tests found but skipped (did not run). */
  notRun: { id: string; gate: string }[];
}

export type DecisionResult = 'READY' | 'BLOCKED';

export interface Decision {
  result: DecisionResult;
  project: string;
  version: string;
  commit: string | null;
  branch: string | null;
  ci: boolean;
  strict: boolean;
  runId: string;
  runDir: string;
  startedAt: string;
  durationMs: number;
  gates: GateVerdict[];
  requirements: RequirementVerdict[];
  /** Why the release is blocked, one line each (empty when READY). */
  blockers: string[];
  warnings: string[];
  interrupted?: boolean;
}
