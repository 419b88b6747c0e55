/**
 * What history hands back to policy: the rows the store reads and the judges (baseline, flaky)
 * take. Kept below both, so the store never depends on policy code.
 */
import type { TestResult } from './evidence.js';

/** One recorded value of a metric, for baselines. */
export interface BaselineSample {
  /** The gate the value was measured in; absent for imported samples that name none. */
  gate?: string;
  value: number;
  runId: string;
  version: string;
  commit: string | null;
  startedAt: string;
  branch: string | null;
}

/** One recorded outcome of one test, for flakiness. */
export interface TestHistoryRow {
  testId: string;
  runId: string;
  commit: string | null;
  /** Fingerprint of the uncommitted changes the run saw (null: a clean tree, or unknown). */
  tree?: string | null;
  status: TestResult['status'];
  flaky: boolean;
  startedAt: string;
}

/** What history knows about one test's flakiness on this commit. */
export interface FlakyEvidence {
  testId: string;
  /** Marked flaky in a run, or both passed and failed on one commit (with the same tree): flakiness history already knew. */
  knownFlaky: boolean;
  /** Its first pass and failure (rows in the order given: newest first from a store) on the commit and tree of this run. */
  passedHere?: { runId: string; startedAt: string };
  failedHere?: { runId: string; startedAt: string };
}
