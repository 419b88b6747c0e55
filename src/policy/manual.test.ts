import { describe, expect, it } from 'vitest';
import type { ManualConfig } from '../config/types.js';
import { approvalText, judgeManual, manualDefinition, type ApprovalRecord } from './manual.js';

const DAY = 86_400_000;
const manual: ManualConfig = { checklist: ['ran 10 sessions', 'budget cap stops'], evidence: 'required', approvers: ['alice', 'bob'], expiresMs: 30 * DAY };
const def = manualDefinition(manual);
const now = new Date('2026-06-15T12:00:00Z');
const ctx = { version: '1.2.0', commit: 'abcdef0123456789', now, actor: 'carol' };
const ok: ApprovalRecord = { by: 'alice', at: '2026-06-10T12:00:00Z', evidence: 'https://x', definition: def };
const judge = (records: ApprovalRecord[], m: ManualConfig = manual, c = ctx) => judgeManual(m, records.map((record) => ({ record, facts: {} })), c);

describe('judgeManual', () => {
  it('is pending without an approval, listing the checklist', () => {
    const j = judge([]);
    expect(j.status).toBe('pending');
    expect(j.reason).toBe('awaiting approval for 1.2.0 @ abcdef012345');
    expect(j.checks.map((c) => c.check)).toEqual(['checklist: ran 10 sessions', 'checklist: budget cap stops']);
  });

  it('passes on a valid approval by an allowed approver with evidence', () => {
    expect(judge([ok]).status).toBe('passed');
  });

  it.each([
    ['an earlier definition of the gate', { ...ok, definition: manualDefinition({ ...manual, checklist: ['ran 1 session'] }) }, /earlier definition/],
    ['no recorded definition', { ...ok, definition: undefined }, /without the gate's definition/],
    ['an expired approval', { ...ok, at: '2026-05-01T12:00:00Z' }, /expired on 2026-05-31/],
    ['someone not on the list', { ...ok, by: 'mallory' }, /mallory is not one of the approvers/],
    ['no evidence where it is required', { ...ok, evidence: undefined }, /no evidence attached/],
  ])('does not count %s, and says why', (_name, record, why) => {
    const j = judge([record as ApprovalRecord]);
    expect(j.status).toBe('pending');
    expect(j.reason).toMatch(why);
    expect(j.checks[0]).toMatchObject({ check: 'approval', ok: false, actual: expect.stringMatching(why) });
  });

  it('refuses self-approval: the approver cannot be who ran the gate', () => {
    expect(judge([ok], manual, { ...ctx, actor: 'alice' }).reason).toMatch(/alice ran this gate and cannot approve it/);
    expect(judge([{ ...ok, by: 'bob' }], manual, { ...ctx, actor: 'alice' }).status).toBe('passed');
  });

  it('takes the first valid approval among several, newest first', () => {
    expect(judge([{ ...ok, by: 'mallory' }, ok]).status).toBe('passed');
  });

  it('with keys, counts only a signature the run layer found valid; evidence that changed voids it', () => {
    const keyed = { ...manual, keys: { alice: 'ssh-ed25519 AAAA' } };
    const d = manualDefinition(keyed);
    expect(judgeManual(keyed, [{ record: { ...ok, definition: d }, facts: {} }], ctx).reason).toMatch(/signature was not checked/);
    expect(judgeManual(keyed, [{ record: { ...ok, definition: d }, facts: { signature: { ok: false, why: 'forged' } } }], ctx).reason).toMatch(/forged/);
    expect(judgeManual(keyed, [{ record: { ...ok, definition: d }, facts: { signature: { ok: true } } }], ctx).status).toBe('passed');
    expect(judgeManual(manual, [{ record: ok, facts: { evidence: { ok: false, why: 'its evidence file changed' } } }], ctx).reason).toMatch(/evidence file changed/);
  });

  it('signs a text that binds every field', () => {
    const base = { ...ok, project: 'p', gate: 'g', version: '1.2.0', commit: 'c' };
    const t = approvalText(base);
    for (const change of [{ version: '1.2.1' }, { commit: 'd' }, { by: 'bob' }, { at: '2026-06-10T12:00:01Z' }, { note: 'x' }, { evidence: 'y' }, { definition: 'z' }, { gate: 'h' }]) {
      expect(approvalText({ ...base, ...change }), JSON.stringify(change)).not.toBe(t);
    }
  });
});
