import { describe, expect, it } from 'vitest';
import { flakyStats, type TestHistoryRow } from '../../policy/flaky.js';
import { quarantineMatcher } from '../../policy/quarantine.js';
import { rankFlaky } from './flaky-rank.js';

let clock = Date.parse('2026-01-01T00:00:00Z');
function rows(testId: string, marks: string): TestHistoryRow[] {
  return [...marks].map((m, i) => ({
    testId,
    runId: `run-${i}`,
    commit: 'c1',
    status: m === 'F' ? 'failed' : m === 'S' ? 'skipped' : 'passed',
    flaky: m === 'R',
    startedAt: new Date(clock + i * 1000).toISOString(),
  }));
}

describe('flaky ranking', () => {
  it('ranks by flip rate × runs affected, with a history strip oldest first', () => {
    clock += 100_000;
    const all = [...rows('often', 'PFPFPFPFPF'), ...rows('rare', 'PPPPPPPPFP'), ...rows('stable', 'PPPPPPPPPP'), ...rows('retried', 'RRRPPPPPPP')];
    const ranked = rankFlaky(flakyStats(all, 50), all, () => undefined, { stripLength: 5 });
    expect(ranked.map((r) => [r.testId, r.affected])).toEqual([
      ['often', 5],
      ['rare', 1],
      ['retried', 3],
    ]);
    expect(ranked[0]!.impact).toBeCloseTo(1 * 5);
    expect(ranked[2]!.impact).toBe(0);
    expect(ranked[0]!.strip.map((s) => s.mark).join('')).toBe('FPFPF');
    expect(ranked[2]!.strip.map((s) => s.mark).join('')).toBe('PPPPP');
  });

  it('shows quarantine state and expiry', () => {
    const all = rows('q::t', 'PFPF');
    const match = quarantineMatcher(
      [
        { tests: ['q::*'], reason: 'tracked in #12', until: '2026-02-01', origin: 'store', id: 'q1' },
      ],
      new Date('2026-03-01T00:00:00Z'),
    );
    const [row] = rankFlaky(flakyStats(all, 50), all, match, { stripLength: 30 });
    expect(row!.quarantine).toEqual({ reason: 'tracked in #12', until: '2026-02-01', expired: true, expiresAt: '2026-02-02T00:00:00.000Z' });
  });
});
