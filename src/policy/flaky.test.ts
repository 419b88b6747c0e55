import { describe, expect, it } from 'vitest';
import type { TestResult } from '../model/evidence.js';
import { flakyStats, newlyFlaky, type TestHistoryRow } from './flaky.js';

function row(testId: string, run: number, status: TestHistoryRow['status'], commit: string | null = `c${run}`, flaky = false): TestHistoryRow {
  return { testId, runId: `run-${run}`, commit, status, flaky, startedAt: `2026-05-${String(run).padStart(2, '0')}T08:00:00Z` };
}

function result(id: string, status: TestResult['status'], extra: Partial<TestResult> = {}): TestResult {
  return { id, suite: 'a', name: id, status, attempts: 1, flaky: false, ...extra };
}

describe('flakyStats', () => {
  // Rows deliberately out of order: the function orders by start time.
  const rows: TestHistoryRow[] = [
    row('t::flip', 3, 'passed'),
    row('t::flip', 1, 'passed'),
    row('t::flip', 2, 'failed'),
    row('t::flip', 4, 'error'),
    row('t::flip', 5, 'skipped'),
    row('t::flip', 6, 'passed'),
    row('t::stable', 1, 'passed'),
    row('t::stable', 2, 'passed'),
    row('t::stable', 3, 'passed', 'c3', true),
    row('t::commit', 1, 'failed', 'abc'),
    row('t::commit', 2, 'passed', 'abc'),
    row('t::commit', 3, 'passed', null),
    row('t::commit', 4, 'failed', null),
  ];

  it('counts flips between consecutive executed runs, ignoring skips', () => {
    const s = flakyStats(rows, 10);
    const flip = s.find((x) => x.testId === 't::flip');
    // passed, failed, passed, error, (skipped), passed → 4 flips over 5 executed runs
    expect(flip).toMatchObject({ runs: 5, flips: 4, flipRate: 1, lastSeen: '2026-05-06T08:00:00Z', commits: [], failedAndPassedOnSameCommit: false, flakyInRun: 0, flaky: false });
  });

  it('records in-run flaky marks and contradictions on the same commit', () => {
    const s = flakyStats(rows, 10);
    expect(s.find((x) => x.testId === 't::stable')).toMatchObject({ flips: 0, flipRate: 0, flakyInRun: 1, flaky: true });
    // null commits never count as "the same commit"
    expect(s.find((x) => x.testId === 't::commit')).toMatchObject({ commits: ['abc'], failedAndPassedOnSameCommit: true, flaky: true, flips: 2 });
  });

  it('keeps only the newest `window` runs', () => {
    const s = flakyStats(rows, 2);
    expect(s.find((x) => x.testId === 't::flip')).toMatchObject({ runs: 1, flips: 0, flipRate: 0 });
    expect(s.some((x) => x.testId === 't::stable')).toBe(false);
    expect(flakyStats(rows, 0)).toEqual([]);
  });

  it('sorts the most unstable first', () => {
    expect(flakyStats(rows, 10).map((x) => x.testId)).toEqual(['t::flip', 't::commit', 't::stable']);
  });
});

describe('newlyFlaky', () => {
  const history: TestHistoryRow[] = [
    row('t::a', 1, 'passed', 'abc'),
    row('t::b', 1, 'failed', 'abc'),
    row('t::old', 1, 'passed', 'x', true),
    row('t::old2', 1, 'passed', 'y'),
    row('t::old2', 2, 'failed', 'y'),
  ];

  it('reports a test marked flaky in this run', () => {
    expect(newlyFlaky([result('t::new', 'passed', { flaky: true, attempts: 3 })], 'abc', history)).toEqual([
      { testId: 't::new', why: 'failed, then passed on rerun in this run (3 attempts)' },
    ]);
  });

  it('reports an outcome that contradicts one on the same commit, both ways', () => {
    const out = newlyFlaky([result('t::a', 'failed'), result('t::b', 'passed')], 'abc', history);
    expect(out.map((o) => o.testId)).toEqual(['t::a', 't::b']);
    expect(out[0]?.why).toBe('failed now but passed on the same commit abc in run run-1 (2026-05-01T08:00:00Z)');
    expect(out[1]?.why).toMatch(/^passed now but failed on the same commit abc/);
  });

  it('stays quiet for known flaky tests, other commits, unknown commits and skips', () => {
    expect(newlyFlaky([result('t::old', 'passed', { flaky: true, attempts: 2 })], 'abc', history)).toEqual([]);
    expect(newlyFlaky([result('t::old2', 'passed', { flaky: true, attempts: 2 })], 'y', history)).toEqual([]);
    expect(newlyFlaky([result('t::a', 'failed')], 'def', history)).toEqual([]);
    expect(newlyFlaky([result('t::a', 'failed')], null, history)).toEqual([]);
    expect(newlyFlaky([result('t::a', 'skipped')], 'abc', history)).toEqual([]);
  });
});
