/**
 * Flaky tests ranked by impact: flip rate × runs affected (the runs in which the test failed,
 * errored or was marked flaky), so a test that flips once in two runs ranks below one that broke
 * twenty builds at a lower rate. Pure: the policy's statistics and history rows in, rows out.
 */
import type { FlakyStat, TestHistoryRow } from '../../policy/flaky.js';
import type { QuarantineMatch } from '../../policy/quarantine.js';

export interface FlakyRow {
  testId: string;
  runs: number;
  flips: number;
  flipRate: number;
  affected: number;
  impact: number;
  commits: string[];
  lastSeen: string;
  /** Oldest first: one letter per run it ran in (P pass, F fail, E error, S skip, R passed on retry). */
  strip: { runId: string; mark: 'P' | 'F' | 'E' | 'S' | 'R' }[];
  quarantine: { reason: string; until: string | null; expired: boolean; expiresAt: string | null } | null;
}

function mark(r: TestHistoryRow): FlakyRow['strip'][number]['mark'] {
  if (r.flaky) return 'R';
  return r.status === 'passed' ? 'P' : r.status === 'failed' ? 'F' : r.status === 'error' ? 'E' : 'S';
}

export function rankFlaky(
  stats: readonly FlakyStat[],
  rows: readonly TestHistoryRow[],
  quarantined: (testId: string) => QuarantineMatch | undefined,
  opts: { stripLength: number },
): FlakyRow[] {
  const byTest = new Map<string, TestHistoryRow[]>();
  for (const r of rows) {
    let l = byTest.get(r.testId);
    if (!l) byTest.set(r.testId, (l = []));
    l.push(r);
  }
  const out = stats
    .filter((s) => s.flaky)
    .map((s): FlakyRow => {
      const hist = [...(byTest.get(s.testId) ?? [])].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.runId < b.runId ? -1 : 1));
      const affected = new Set(hist.filter((r) => r.flaky || r.status === 'failed' || r.status === 'error').map((r) => r.runId)).size;
      const q = quarantined(s.testId);
      return {
        testId: s.testId,
        runs: s.runs,
        flips: s.flips,
        flipRate: s.flipRate,
        affected,
        impact: s.flipRate * affected,
        commits: s.commits,
        lastSeen: s.lastSeen,
        strip: hist.slice(-opts.stripLength).map((r) => ({ runId: r.runId, mark: mark(r) })),
        quarantine: q ? { reason: q.rule.reason, until: q.rule.until ?? null, expired: q.expired, expiresAt: q.expiresAt ?? null } : null,
      };
    });
  return out.sort((a, b) => b.impact - a.impact || b.affected - a.affected || (a.testId < b.testId ? -1 : 1));
}
