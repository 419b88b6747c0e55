/**
 * A manual gate judged on the approvals recorded for this version and commit. Pure: the lookup,
 * the re-hash of evidence files and the signature check happen in the run layer and come in as
 * facts; the rules a security reviewer would ask for are here, in one place:
 *
 * - an approval is bound to the version, the commit and the gate's definition (checklist,
 *   evidence rule, approvers): a changed checklist needs a new approval;
 * - it expires (`manual.expires`, default 30 days);
 * - when `approvers` is set, the approver is one of them and not whoever ran the gate;
 * - evidence, when required, is attached, and a file named as evidence still has the hash it had;
 * - when the gate names `keys`, only an approval whose signature verifies against the approver's
 *   key counts: a row written into the store by hand counts for nothing.
 */
import type { ManualConfig } from '../config/types.js';
import { crypto } from '../util/crypto-on-use.js';
import type { Check } from '../model/types.js';

export interface ApprovalRecord {
  by: string;
  at: string;
  evidence?: string;
  note?: string;
  /** The gate's definition hash when it was approved (absent on approvals from before definitions were recorded). */
  definition?: string;
  signature?: string;
}

/** What the run layer established about one approval (I/O the judge must not do itself). */
export interface ApprovalFacts {
  /** A file named as evidence, hashed again now. */
  evidence?: { ok: boolean; why?: string };
  /** The signature checked against the approver's configured key (present when the gate has keys). */
  signature?: { ok: boolean; why?: string };
}

export interface ManualJudgement {
  status: 'passed' | 'failed' | 'pending';
  reason?: string;
  checks: Check[];
}

export interface ManualContext {
  version: string;
  commit: string;
  now: Date;
  /** Who ran the gate (the CI's actor, else the git user): never their own approver. */
  actor?: string;
}

/** The definition an approval is bound to: what was promised to be checked, and by whom. */
export function manualDefinition(manual: ManualConfig): string {
  const canonical = JSON.stringify({
    checklist: manual.checklist,
    evidence: manual.evidence,
    approvers: manual.approvers ? [...manual.approvers].sort() : null,
  });
  return crypto().createHash('sha256').update(canonical).digest('hex');
}

/** The exact text an approver signs: every field that binds the approval, unambiguously encoded. */
export function approvalText(a: ApprovalRecord & { project: string; gate: string; version: string; commit: string | null }): string {
  return JSON.stringify(['shipgate-approval/1', a.project, a.gate, a.version, a.commit, a.by, a.at, a.definition ?? null, a.evidence ?? null, a.note ?? null]);
}

/** Why this approval does not count (empty: it does). */
function problemsOf(manual: ManualConfig, a: ApprovalRecord, facts: ApprovalFacts, ctx: ManualContext, definition: string): string[] {
  const problems: string[] = [];
  if (a.definition !== definition) {
    problems.push(a.definition === undefined ? 'it was recorded without the gate\'s definition' : 'it approved an earlier definition of the gate (its checklist, evidence rule or approvers changed)');
  }
  const at = Date.parse(a.at);
  if (!Number.isFinite(at)) problems.push(`its time ${JSON.stringify(a.at)} is not a time`);
  else if (ctx.now.getTime() > at + manual.expiresMs) problems.push(`it expired on ${new Date(at + manual.expiresMs).toISOString()}`);
  if (manual.approvers && !manual.approvers.includes(a.by)) problems.push(`${a.by} is not one of the approvers (${manual.approvers.join(', ')})`);
  if (manual.approvers && ctx.actor !== undefined && a.by === ctx.actor) problems.push(`${a.by} ran this gate and cannot approve it (no self-approval)`);
  if (manual.evidence === 'required' && !a.evidence) problems.push('it has no evidence attached, and the gate requires it');
  if (facts.evidence && !facts.evidence.ok) problems.push(facts.evidence.why ?? 'its evidence changed');
  if (manual.keys) {
    if (!facts.signature) problems.push('its signature was not checked');
    else if (!facts.signature.ok) problems.push(facts.signature.why ?? 'its signature does not verify');
  }
  return problems;
}

export function judgeManual(manual: ManualConfig, candidates: readonly { record: ApprovalRecord; facts: ApprovalFacts }[], ctx: ManualContext): ManualJudgement {
  const definition = manualDefinition(manual);
  const where = `${ctx.version}${ctx.commit ? ` @ ${ctx.commit.slice(0, 12)}` : ''}`;
  const refused: string[] = [];
  for (const { record: a, facts } of candidates) {
    const problems = problemsOf(manual, a, facts, ctx, definition);
    if (problems.length === 0) {
      const checks: Check[] = [{ check: 'approval', expected: `approved for ${where}`, actual: `approved by ${a.by} at ${a.at}`, ok: true }];
      if (a.evidence) checks.push({ check: 'approval evidence', expected: manual.evidence === 'required' ? 'evidence attached, unchanged' : 'unchanged when given', actual: a.evidence, ok: true });
      if (manual.keys) checks.push({ check: 'approval signature', expected: `signed by ${a.by}'s key`, actual: 'verifies', ok: true });
      return { status: 'passed', checks };
    }
    refused.push(`approval by ${a.by} at ${a.at}: ${problems.join('; ')}`);
  }
  const checklist: Check[] = manual.checklist.map((item) => ({ check: `checklist: ${item}`, expected: 'confirmed by an approver', actual: 'not yet approved', ok: false }));
  if (refused.length === 0) return { status: 'pending', reason: `awaiting approval for ${where}`, checks: checklist };
  return {
    status: 'pending',
    reason: `awaiting a valid approval for ${where}: ${refused.length} recorded, none counts (${refused[0]!.replace(/^approval by [^:]+: /, '')})`,
    checks: [...refused.map((r) => ({ check: 'approval', expected: 'a valid approval', actual: r, ok: false })), ...checklist],
  };
}
