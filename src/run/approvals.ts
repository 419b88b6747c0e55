/**
 * The facts a manual gate's judgement needs that only I/O can give: the approvals recorded for
 * this version and commit, each evidence file hashed again (a file changed since it was named
 * voids the approval), and each signature checked against the approver's configured key.
 */
import { createReadStream } from 'node:fs';
import type { GateConfig } from '../config/types.js';
import { approvalText, judgeManual, type ApprovalFacts, type ManualJudgement } from '../policy/manual.js';
import type { Approval, Store } from '../store/store.js';
import { crypto } from '../util/crypto-on-use.js';
import { parsePublicKey, verifyText } from '../util/ed25519.js';

async function sha256File(path: string): Promise<string> {
  const h = crypto().createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `file:/abs/path sha256:HEX` as `approve --evidence FILE` records it. */
export function fileEvidence(evidence: string | undefined): { path: string; sha256: string } | undefined {
  const m = evidence === undefined ? null : /^file:(.+) sha256:([0-9a-f]{64})$/.exec(evidence);
  return m ? { path: m[1]!, sha256: m[2]! } : undefined;
}

/** What approvals are judged against: a manual gate, or a rollout stage with `approve: manual`. */
export type Approvable = Pick<GateConfig, 'id' | 'manual'>;

export async function approvalFacts(a: Approval, gate: Approvable): Promise<ApprovalFacts> {
  const facts: ApprovalFacts = {};
  const file = fileEvidence(a.evidence);
  if (file) {
    try {
      const now = await sha256File(file.path);
      facts.evidence = now === file.sha256 ? { ok: true } : { ok: false, why: `its evidence file ${file.path} changed since it was approved (sha256 ${now.slice(0, 12)}…, approved ${file.sha256.slice(0, 12)}…)` };
    } catch (e) {
      facts.evidence = { ok: false, why: `its evidence file ${file.path} cannot be read now (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    }
  }
  const keys = gate.manual?.keys;
  if (keys) {
    const line = Object.hasOwn(keys, a.by) ? keys[a.by] : undefined;
    if (!a.signature) facts.signature = { ok: false, why: 'it is not signed, and this gate only counts approvals signed with `shipgate approve --sign`' };
    else if (line === undefined) facts.signature = { ok: false, why: `no key is configured for ${a.by} (manual.keys)` };
    else {
      const ok = verifyText(parsePublicKey(line), approvalText({ ...a, gate: gate.id }), a.signature);
      facts.signature = ok ? { ok } : { ok, why: `its signature does not verify against ${a.by}'s key: the record was changed, or not written by \`shipgate approve --sign\`` };
    }
  }
  return facts;
}

/** Judge a manual gate on every approval recorded for this version and commit (the first valid one counts). */
export async function judgeApprovals(
  store: Store,
  project: string,
  gate: Approvable,
  ctx: { version: string; commit: string | null; actor?: string; now?: Date },
): Promise<ManualJudgement> {
  const approvals = await store.findApprovals(project, gate.id, ctx.version, ctx.commit);
  const candidates = await Promise.all(approvals.map(async (record) => ({ record, facts: await approvalFacts(record, gate) })));
  return judgeManual(gate.manual!, candidates, { version: ctx.version, commit: ctx.commit ?? '', now: ctx.now ?? new Date(), ...(ctx.actor !== undefined ? { actor: ctx.actor } : {}) });
}
