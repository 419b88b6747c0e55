import { describe, expect, it } from 'vitest';
import type { RolloutStage } from '../config/types.js';
import type { ActionRecord } from '../store/store.js';
import { nextRolloutStep } from './rollout.js';

const stage = (index: number, weight: number, manual = false): RolloutStage => ({
  index, id: `rollout-${weight}`, weight, run: 'shift', holdMs: 0, intervalMs: 1000, analysis: [],
  ...(manual ? { manual: { checklist: [], evidence: 'optional', expiresMs: 1 } } : {}),
});
const stages = [stage(1, 10), stage(2, 50, true), stage(3, 100)];
const record = (result: ActionRecord['result'], lastIndex?: number): ActionRecord => ({
  id: 'r', project: 'p', kind: 'rollout', by: 'bob', fromVersion: null, toVersion: '1.0.0', toCommit: null, runId: null, forced: false,
  startedAt: '', endedAt: '', durationMs: 1, result,
  steps: lastIndex === undefined ? [] : [{ index: lastIndex, title: 't', ok: true, durationMs: 1, checks: [] }],
});

describe('where a rollout goes on from', () => {
  it('nothing recorded: from the first stage', () => {
    expect(nextRolloutStep(undefined, stages)).toEqual({ kind: 'start' });
  });
  it('paused at a manual stage: after it', () => {
    expect(nextRolloutStep(record('paused', 2), stages)).toMatchObject({ kind: 'resume', after: 2 });
  });
  it('HOSTILE: a record paused at a stage that is not (or no longer) manual starts over, never skips stages', () => {
    expect(nextRolloutStep(record('paused', 1), stages)).toEqual({ kind: 'start' });
    expect(nextRolloutStep(record('paused', 7), stages)).toEqual({ kind: 'start' });
    expect(nextRolloutStep(record('paused'), stages)).toEqual({ kind: 'start' });
  });
  it('rolled back, failed, interrupted or still "running" (a rollout that died): from the first stage', () => {
    for (const r of ['rolled-back', 'failed', 'interrupted', 'running'] as const) expect(nextRolloutStep(record(r, 2), stages)).toEqual({ kind: 'start' });
  });
  it('done: nothing to do', () => {
    expect(nextRolloutStep(record('done', 3), stages).kind).toBe('already-done');
  });
});
