/**
 * A manual gate judged on the approval recorded for this version and commit (or its absence).
 * Pure: the lookup happens in the gate task; the rules (evidence required, who may approve) here.
 */
import type { ManualConfig } from '../config/types.js';
import type { Check } from '../decide/types.js';

export interface ApprovalRecord {
  by: string;
  at: string;
  evidence?: string;
  note?: string;
}

export interface ManualJudgement {
  status: 'passed' | 'failed' | 'pending';
  reason?: string;
  checks: Check[];
}

export function judgeManual(manual: ManualConfig, approval: ApprovalRecord | undefined, version: string, commit: string): ManualJudgement {
  if (!approval) {
    return {
      status: 'pending',
      reason: `awaiting approval for ${version}${commit ? ` @ ${commit.slice(0, 12)}` : ''}`,
      checks: manual.checklist.map((item) => ({ check: `checklist: ${item}`, expected: 'confirmed by an approver', actual: 'not yet approved', ok: false })),
    };
  }
  const checks: Check[] = [{ check: 'approval', expected: `approved for ${version}`, actual: `approved by ${approval.by} at ${approval.at}`, ok: true }];
  if (manual.evidence === 'required') {
    checks.push({ check: 'approval evidence', expected: 'evidence attached', actual: approval.evidence ?? 'none', ok: !!approval.evidence });
  }
  if (manual.approvers && !manual.approvers.includes(approval.by)) {
    checks.push({ check: 'approver', expected: `one of ${manual.approvers.join(', ')}`, actual: approval.by, ok: false });
  }
  return { status: checks.every((c) => c.ok) ? 'passed' : 'failed', checks };
}
