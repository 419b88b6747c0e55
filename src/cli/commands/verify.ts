/**
 * `shipgate verify FILE --key NAME.pub [--subject ARTIFACT]`: exit 0 only when the attestation's
 * signature is valid for that key, its predicate says PASSED, and (with --subject) the artifact's
 * sha256 is one of its subjects; exit 1 with the reason otherwise — so a deploy script can refuse
 * anything else.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readPublicKey, verifyAttestation } from '../../attest/attest.js';
import { printable } from '../../util/printable.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';

export interface VerifyFlags {
  key?: string;
  subject?: string;
  json?: boolean;
}

export async function verifyCommand(file: string, flags: VerifyFlags, ctx: CliContext): Promise<number> {
  const fail = (reason: string) => {
    if (flags.json) ctx.stdout.write(`${JSON.stringify({ verified: false, reason })}\n`);
    ctx.stderr.write(`NOT VERIFIED: ${printable(reason)}\n`);
    return EXIT.BLOCKED;
  };
  if (!flags.key) return fail('no --key given: name the public key (NAME.pub) the attestation must be signed with');
  let key;
  try {
    key = await readPublicKey(resolve(ctx.cwd, flags.key));
  } catch (e) {
    return fail((e as Error).message);
  }
  let text: string;
  try {
    text = await readFile(resolve(ctx.cwd, file), 'utf8');
  } catch (e) {
    return fail(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const subject = flags.subject === undefined ? undefined : /^sha256:[0-9a-fA-F]{64}$/.test(flags.subject) ? { digest: flags.subject.slice(7) } : { path: resolve(ctx.cwd, flags.subject) };
  const v = await verifyAttestation(text, key, subject);
  if (!v.ok) return fail(v.reason);
  const s = v.statement.predicate.shipgate;
  const what = `${s?.project ?? '?'} ${s?.version ?? '?'} (run ${s?.runId ?? '?'}, commit ${s?.commit ? s.commit.slice(0, 12) : 'none'})`;
  if (flags.json) ctx.stdout.write(`${JSON.stringify({ verified: true, project: s?.project, version: s?.version, runId: s?.runId, commit: s?.commit, subject: v.subject ?? null })}\n`);
  else ctx.stdout.write(`VERIFIED: ${printable(what)} PASSED${v.subject ? `; ${printable(v.subject.name)} sha256 ${v.subject.digest.sha256} is a subject` : '; no --subject given, so no artifact digest was checked'}\n`);
  return EXIT.READY;
}
