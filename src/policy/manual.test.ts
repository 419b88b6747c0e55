import { describe, expect, it } from 'vitest';
import { judgeManual } from './manual.js';

const manual = { checklist: ['ran 10 sessions', 'budget cap stops'], evidence: 'required' as const, approvers: ['alice'] };

describe('judgeManual', () => {
  it('is pending without an approval, listing the checklist', () => {
    const j = judgeManual(manual, undefined, '1.2.0', 'abcdef0123456789');
    expect(j.status).toBe('pending');
    expect(j.reason).toBe('awaiting approval for 1.2.0 @ abcdef012345');
    expect(j.checks.map((c) => c.check)).toEqual(['checklist: ran 10 sessions', 'checklist: budget cap stops']);
  });
  it('passes with an approval by an allowed approver with evidence', () => {
    expect(judgeManual(manual, { by: 'alice', at: 't', evidence: 'https://x' }, '1.2.0', 'c').status).toBe('passed');
  });
  it('fails without the required evidence, or by someone not on the list', () => {
    expect(judgeManual(manual, { by: 'alice', at: 't' }, '1.2.0', 'c')).toMatchObject({ status: 'failed' });
    const wrong = judgeManual(manual, { by: 'mallory', at: 't', evidence: 'x' }, '1.2.0', 'c');
    expect(wrong.status).toBe('failed');
    expect(wrong.checks.find((c) => !c.ok)).toMatchObject({ check: 'approver', actual: 'mallory' });
  });
});
