import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import type { History } from './history.js';
import { guardHistory } from './history-guard.js';
import type { BaselinePolicy } from '../policy/baseline.js';
import type { GateConfig } from '../config/types.js';

const policy = { branch: 'main', runs: 10 } as unknown as BaselinePolicy;

/** A History whose every call is counted; `failing` names the calls that throw a StoreError. */
function counted(failing: Set<string>): { history: History; calls: string[] } {
  const calls: string[] = [];
  const op =
    <T>(name: string, value: T) =>
    async (): Promise<T> => {
      calls.push(name);
      if (failing.has(name)) throw new StoreError('STORE_READ', `${name} failed: connection terminated`);
      return value;
    };
  const history = {
    store: {} as History['store'],
    begin: op('begin', undefined),
    finish: op('finish', undefined),
    quarantine: op('quarantine', [{ tests: ['t'], reason: 'r', until: '2999-01-01', origin: 'store' as const, id: 1 }]),
    baselines: op('baselines', () => ({ samples: [{ value: 1 }], cfg: policy })),
    findingsBaselines: op('findingsBaselines', () => ({ missing: 'none' })),
    approvals: op('approvals', { status: 'passed' as const, checks: [] }),
    flakyEvidence: op('flakyEvidence', [{ testId: 't' }]),
    badKeysOnCommit: op('badKeysOnCommit', [42]),
    close: op('close', undefined),
  } as unknown as History;
  return { history, calls };
}

describe('guardHistory', () => {
  it('honest: passes every call through while the store works, and reports no failure', async () => {
    const { history, calls } = counted(new Set());
    const g = guardHistory(history);
    await g.begin({} as never);
    expect(await g.quarantine()).toHaveLength(1);
    expect((await g.approvals({} as GateConfig, '1', null, undefined)).status).toBe('passed');
    expect(await g.flakyEvidence(['t'], 'c', null)).toHaveLength(1);
    expect(await g.badKeysOnCommit('c', null)).toEqual([42]);
    await g.finish('r', {} as never, [], [], []);
    expect(g.failure).toBeUndefined();
    expect(calls).toEqual(['begin', 'quarantine', 'approvals', 'flakyEvidence', 'badKeysOnCommit', 'finish']);
  });

  it('after the first error the store is never touched again, and every read answers the way that blocks', async () => {
    const { history, calls } = counted(new Set(['quarantine']));
    const g = guardHistory(history);
    await g.begin({} as never);
    // A quarantine that cannot be read excuses nothing.
    expect(await g.quarantine()).toEqual([]);
    expect(g.failure).toBe('quarantine failed: connection terminated [STORE_READ]');
    const lookup = await g.baselines(policy);
    expect(lookup('g', 'tests.passed')).toMatchObject({ samples: [], missing: expect.stringContaining('history could not be read: quarantine failed') });
    expect((await g.findingsBaselines(policy, ['g']))('g')).toMatchObject({ missing: expect.stringContaining('history could not be read') });
    const approval = await g.approvals({} as GateConfig, '1', null, undefined);
    expect(approval.status).toBe('failed');
    expect(approval.reason).toContain('approvals could not be read');
    expect(await g.flakyEvidence(['t'], 'c', null)).toEqual([]);
    expect(await g.badKeysOnCommit('c', null)).toEqual([]);
    // A run half-recorded must not gain rows from a connection that came back.
    await g.finish('r', {} as never, [], [], []);
    expect(calls).toEqual(['begin', 'quarantine']);
  });

  it('keeps the first error, not a later one', async () => {
    const { history } = counted(new Set(['begin', 'finish']));
    const g = guardHistory(history);
    await g.begin({} as never);
    await g.finish('r', {} as never, [], [], []);
    expect(g.failure).toMatch(/^begin failed/);
  });

  it('a close that throws does not fail the run', async () => {
    const { history } = counted(new Set(['close']));
    await expect(guardHistory(history).close()).resolves.toBeUndefined();
  });
});
