import { describe, expect, it } from 'vitest';
import { deliveryWeeks, incidents, weekOf, type DeliveryRun } from './delivery.js';

const H = 3_600_000;
const t0 = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const at = (h: number) => new Date(t0 + h * H).toISOString();

function run(id: string, h: number, result: 'READY' | 'BLOCKED', extra: Partial<DeliveryRun> = {}): DeliveryRun {
  return { id, branch: 'main', commit: `c-${id}`, startedAt: at(h), endedAt: at(h + 0.5), result, state: 'finished', partial: false, dirty: false, ...extra };
}

describe('delivery figures', () => {
  it('an incident runs from the first BLOCKED after a READY to the next READY; detect counts from the commit time', () => {
    const runs = [run('r1', 0, 'READY'), run('b1', 10, 'BLOCKED'), run('b2', 12, 'BLOCKED'), run('r2', 20, 'READY')];
    const list = incidents(runs, (sha) => (sha === 'c-b1' ? at(7) : undefined));
    expect(list).toEqual([{ branch: 'main', blockedRunId: 'b1', commit: 'c-b1', blockedAt: at(10), detectMs: 3 * H, recoveredRunId: 'r2', recoverMs: 10 * H }]);
  });

  it('a branch whose first run is BLOCKED opens an incident; one never recovered stays open; branches are apart', () => {
    const runs = [run('b1', 0, 'BLOCKED'), run('x1', 1, 'READY', { branch: 'dev' }), run('x2', 2, 'BLOCKED', { branch: 'dev' })];
    const list = incidents(runs, () => undefined);
    expect(list.map((i) => [i.branch, i.blockedRunId, i.recoveredRunId, i.detectMs])).toEqual([
      ['main', 'b1', null, null],
      ['dev', 'x2', null, null],
    ]);
  });

  it('partial, dirty and unfinished runs neither open nor close an incident', () => {
    const runs = [
      run('r1', 0, 'READY'),
      run('p', 1, 'BLOCKED', { partial: true }),
      run('d', 2, 'BLOCKED', { dirty: true }),
      run('b', 3, 'BLOCKED'),
      run('pr', 4, 'READY', { partial: true }),
      run('i', 5, 'READY', { state: 'interrupted' }),
      run('r2', 6, 'READY'),
    ];
    expect(incidents(runs, () => undefined).map((i) => [i.blockedRunId, i.recoveredRunId])).toEqual([['b', 'r2']]);
  });

  it('a commit time after the run (clock skew, amended commit) is no detect time rather than a negative one', () => {
    const list = incidents([run('b', 0, 'BLOCKED')], () => at(5));
    expect(list[0]!.detectMs).toBeNull();
  });

  it('groups by ISO week (Monday, UTC) with means over the incidents that have the figure', () => {
    expect(weekOf('2026-03-08T23:59:59Z')).toBe('2026-03-02');
    expect(weekOf('2026-03-09T00:00:00Z')).toBe('2026-03-09');
    const runs = [run('r0', 0, 'READY'), run('b1', 1, 'BLOCKED'), run('r1', 3, 'READY'), run('b2', 5, 'BLOCKED'), run('r2', 9, 'READY'), run('b3', 24 * 8, 'BLOCKED')];
    const weeks = deliveryWeeks(incidents(runs, (sha) => (sha === 'c-b1' ? at(0) : undefined)));
    expect(weeks).toEqual([
      { week: '2026-03-02', incidents: 2, mttdMs: 1 * H, mttrMs: ((3 - 1) * H + (9 - 5) * H) / 2, open: 0 },
      { week: '2026-03-09', incidents: 1, mttdMs: null, mttrMs: null, open: 1 },
    ]);
  });
});
