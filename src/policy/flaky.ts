/**
 * Flakiness from history. A test is flaky in a run when it failed and then passed there (a rerun
 * or a retried gate marks it); across runs, when it both passed and failed on the same commit —
 * the code did not change, the outcome did. The flip rate (outcome changes between consecutive
 * runs over a window) ranks how unstable a test is.
 */
import type { TestResult } from '../model/evidence.js';
import type { FlakyEvidence, TestHistoryRow } from '../model/history.js';

export type { TestHistoryRow };

export interface FlakyStat {
  testId: string;
  /** Runs in the window where the test executed (skips left out). */
  runs: number;
  flips: number;
  /** flips / (runs - 1); 0 with fewer than two runs. */
  flipRate: number;
  /** Commits on which the test both passed and failed: the cross-run evidence of flakiness. */
  commits: string[];
  failedAndPassedOnSameCommit: boolean;
  lastSeen: string;
  /** Runs in which the test was marked flaky (failed, then passed on rerun/retry). */
  flakyInRun: number;
  /** Flaky by either definition. */
  flaky: boolean;
}

type Outcome = 'pass' | 'fail';

function outcome(status: TestResult['status']): Outcome | undefined {
  if (status === 'passed') return 'pass';
  if (status === 'failed' || status === 'error') return 'fail';
  return undefined;
}

function byTime(a: TestHistoryRow, b: TestHistoryRow): number {
  return a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

/**
 * The code a run tested: its commit plus the fingerprint of any uncommitted changes. Two runs with
 * the same commit but different local edits tested different code, so their disagreement is the
 * edit, not flakiness.
 */
function codeKey(commit: string | null, tree: string | null | undefined): string | undefined {
  return commit === null ? undefined : tree ? `${commit}+${tree}` : commit;
}

/** Commits (with their tree, when dirty) on which the rows show both a pass and a failure. */
function contradictedCommits(rows: readonly TestHistoryRow[]): string[] {
  const seen = new Map<string, Set<Outcome>>();
  for (const r of rows) {
    const o = outcome(r.status);
    const key = codeKey(r.commit, r.tree);
    if (key === undefined || o === undefined) continue;
    let s = seen.get(key);
    if (!s) seen.set(key, (s = new Set()));
    s.add(o);
  }
  return [...seen].filter(([, s]) => s.size === 2).map(([c]) => c.split('+')[0]!).sort();
}

/**
 * Per-test statistics over the newest `window` runs (runs ordered by start time; a run is any
 * distinct runId in the rows). Sorted most unstable first.
 */
export function flakyStats(rows: readonly TestHistoryRow[], window: number): FlakyStat[] {
  const runStart = new Map<string, string>();
  for (const r of rows) {
    const prev = runStart.get(r.runId);
    if (prev === undefined || r.startedAt < prev) runStart.set(r.runId, r.startedAt);
  }
  const keep = new Set(
    [...runStart]
      .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : a[0] < b[0] ? 1 : -1))
      .slice(0, Math.max(0, window))
      .map(([id]) => id),
  );
  const byTest = new Map<string, TestHistoryRow[]>();
  for (const r of rows) {
    if (!keep.has(r.runId)) continue;
    let list = byTest.get(r.testId);
    if (!list) byTest.set(r.testId, (list = []));
    list.push(r);
  }
  const stats: FlakyStat[] = [];
  for (const [testId, list] of byTest) {
    list.sort(byTime);
    let runs = 0;
    let flips = 0;
    let last: Outcome | undefined;
    for (const r of list) {
      const o = outcome(r.status);
      if (o === undefined) continue;
      runs++;
      if (last !== undefined && o !== last) flips++;
      last = o;
    }
    const commits = contradictedCommits(list);
    const flakyInRun = list.filter((r) => r.flaky).length;
    stats.push({
      testId,
      runs,
      flips,
      flipRate: runs > 1 ? flips / (runs - 1) : 0,
      commits,
      failedAndPassedOnSameCommit: commits.length > 0,
      lastSeen: list[list.length - 1]?.startedAt ?? '',
      flakyInRun,
      flaky: flakyInRun > 0 || commits.length > 0,
    });
  }
  return stats.sort((a, b) => b.flipRate - a.flipRate || b.flakyInRun - a.flakyInRun || (a.testId < b.testId ? -1 : 1));
}

/**
 * What history says of one test for the newly-flaky check, over a window of runs: all that
 * `newlyFlakyFrom` needs, without a row per test per run (a store computes it in one scan).
 */
export type { FlakyEvidence };

/** FlakyEvidence per test from history rows (any order; "first" is in the order given). */
export function flakyEvidenceOf(history: readonly TestHistoryRow[], commit: string | null, tree: string | null = null): Map<string, FlakyEvidence> {
  const here = codeKey(commit, tree);
  const byTest = new Map<string, TestHistoryRow[]>();
  for (const r of history) {
    let list = byTest.get(r.testId);
    if (!list) byTest.set(r.testId, (list = []));
    list.push(r);
  }
  const out = new Map<string, FlakyEvidence>();
  for (const [testId, rows] of byTest) {
    const e: FlakyEvidence = { testId, knownFlaky: rows.some((r) => r.flaky) || contradictedCommits(rows).length > 0 };
    if (here !== undefined) {
      for (const r of rows) {
        if (codeKey(r.commit, r.tree) !== here) continue;
        const o = outcome(r.status);
        if (o === 'pass') e.passedHere ??= { runId: r.runId, startedAt: r.startedAt };
        else if (o === 'fail') e.failedHere ??= { runId: r.runId, startedAt: r.startedAt };
      }
    }
    out.set(testId, e);
  }
  return out;
}

/**
 * Tests of this run that show flakiness history had not seen: marked flaky in this run, or whose
 * outcome now contradicts an earlier outcome on the same commit. A test history already knew as
 * flaky is not news (it is reported by `shipgate flaky`, not warned about on every run).
 */
export function newlyFlakyFrom(
  current: readonly TestResult[],
  evidence: (testId: string) => FlakyEvidence | undefined,
  commit: string | null,
): { testId: string; why: string }[] {
  const out: { testId: string; why: string }[] = [];
  const done = new Set<string>();
  for (const t of current) {
    if (done.has(t.id)) continue;
    const e = evidence(t.id);
    if (e?.knownFlaky) continue;
    let why: string | undefined;
    if (t.flaky) {
      why = `failed, then passed on rerun in this run (${t.attempts} attempt${t.attempts === 1 ? '' : 's'})`;
    } else if (commit !== null && e) {
      const now = outcome(t.status);
      const other = now === 'fail' ? e.passedHere : now === 'pass' ? e.failedHere : undefined;
      if (other) {
        why = `${now === 'fail' ? 'failed' : 'passed'} now but ${now === 'fail' ? 'passed' : 'failed'} on the same commit ${commit.slice(0, 12)} in run ${other.runId} (${other.startedAt})`;
      }
    }
    if (why) {
      out.push({ testId: t.id, why });
      done.add(t.id);
    }
  }
  return out;
}

/** `newlyFlakyFrom` over history rows (see flakyEvidenceOf). */
export function newlyFlaky(
  current: readonly TestResult[],
  commit: string | null,
  history: readonly TestHistoryRow[],
  tree: string | null = null,
): { testId: string; why: string }[] {
  const evidence = flakyEvidenceOf(history, commit, tree);
  return newlyFlakyFrom(current, (id) => evidence.get(id), commit);
}
