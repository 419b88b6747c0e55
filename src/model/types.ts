/**
 * The values that flow out of the pipeline: a gate's outcome (what happened when it ran), its
 * verdict (what that means under policy), and the decision over all of them. Pure data: every
 * reporter renders these and nothing else.
 */
import type { Evidence, TestResult } from './evidence.js';

/** block = P0 (a failure blocks the release), warn = P1, info = P2. */
export type Severity = 'block' | 'warn' | 'info';

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

/** One step of a gate's command as it ran in the final attempt. */
export interface StepRecord {
  /** 1-based position in `run:`. */
  index: number;
  /** The step as written in the configuration (before variables were resolved). */
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  startedAtMs: number;
  endedAtMs: number;
  /**
   * One simple command (no `;`, `&&`, `||`, `|`, `&` or newline): its exit code is the program's
   * own, so a test runner's "tests failed" code can be attributed to the reports it wrote.
   */
  single: boolean;
  /** Why there is no exit status (the shell could not start, or whatever reported it died). */
  error?: string;
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
  /** Files in the run folder where check kinds kept what they saw (queries, windows, raw answers). */
  kept?: { kind: string; path: string }[];
  /** Needs left out by selection: the gate ran without them. */
  ranWithout?: string[];
  /** Retried attempts that failed before a pass (per attempt: exit code and reason). */
  failedAttempts?: { attempt: number; reason: string }[];
  /** The command's steps in the final attempt. */
  steps?: StepRecord[];
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
  /** The report files the gate read (absolute paths), for attestations and dashboards. */
  reports?: { path: string; format?: string; ok: boolean }[];
  /** When a findings check failed: the findings that count, most severe and new first (at most 20). */
  findings?: FindingSummary[];
  /** How many findings there were in all (the list above is cut at 20). */
  findingsTotal?: number;
  /**
   * The gate's working folder relative to the project root (`/`-separated), when it is not the
   * root: test files named in its test ids are relative to it. Findings' files are already made
   * relative to the project root.
   */
  cwd?: string;
}

export interface FindingSummary {
  level: string;
  rule: string;
  tool: string;
  file?: string;
  line?: number;
  message: string;
  /** New against the baseline (the tool's baselineState, or not seen in the baseline run). */
  new?: boolean;
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
  /** Mapped tests under quarantine: whatever their outcome, they prove nothing. */
  unproven: { id: string; gate: string; status: string; reason: string }[];
  /**
   * Present when a list above was cut (each names at most 100 tests): the full counts of
   * failed, not-run and unproven mapped tests.
   */
  truncated?: { failed: number; notRun: number; unproven: number };
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
  /** sha256 of the configuration file's bytes: the policy this decision was made under. */
  configHash?: string;
  /** The configuration file (absolute path). */
  configFile?: string;
  gates: GateVerdict[];
  requirements: RequirementVerdict[];
  /** Why the release is blocked, one line each (empty when READY). */
  blockers: string[];
  warnings: string[];
  interrupted?: boolean;
  /** Gates were left out on request (--only/--skip): never last-good, never a baseline. */
  partial?: boolean;
  /** The flags that made the run partial (`--only unit`). */
  selection?: string;
  /** The working tree the run saw; null when it is not a git repository. */
  tree?: TreeState | null;
  /** `run --publish`: what happened after the decision was recorded. */
  publish?: PublishOutcome;
  /** `--label NAME`: what the release was labelled as (e.g. `fix`, which an SLO budget may let through). */
  labels?: string[];
}

export interface TreeState {
  /** Uncommitted changes: tracked, staged, or untracked files that are not ignored. */
  dirty: boolean;
  /** How many files differ from the commit. */
  files: number;
  /** sha256 over the changes (null when clean): runs with equal fingerprints saw the same tree. */
  fingerprint: string | null;
}

export interface PublishOutcome {
  status: 'done' | 'failed' | 'refused';
  reason?: string;
  steps: { index: number; title: string; ok: boolean; durationMs: number; checks: Check[]; logPath?: string }[];
}
