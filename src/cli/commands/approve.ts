import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { approvalText, manualDefinition } from '../../policy/manual.js';
import { parsePrivateKey, parsePublicKey, signText, verifyText } from '../../util/ed25519.js';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { suggest } from '../../config/issues.js';
import { defaultVersion, gitInfo, resolveCommit } from '../../run/git.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { json, short, table, withStore } from './common.js';

/** Sign the approval with the approver's private key; when the gate lists their key, check it is the matching one. */
async function signApproval(
  record: Parameters<typeof approvalText>[0],
  keyFile: string,
  cwd: string,
  keys: Record<string, string> | undefined,
): Promise<string> {
  let key;
  try {
    key = parsePrivateKey(await readFile(resolve(cwd, keyFile), 'utf8'));
  } catch (e) {
    throw new UsageError(`--sign ${keyFile}: ${(e as Error).message}`, 'give an unencrypted ed25519 private key (ssh-keygen -t ed25519, or shipgate keygen)');
  }
  const signature = signText(key, approvalText(record));
  const line = keys && Object.hasOwn(keys, record.by) ? keys[record.by] : undefined;
  if (keys && line === undefined) throw new UsageError(`the gate has no key for ${record.by} (manual.keys)`, `keys: ${Object.keys(keys).join(', ')}`);
  if (line !== undefined && !verifyText(parsePublicKey(line), approvalText(record), signature)) {
    throw new UsageError(`--sign ${keyFile} is not ${record.by}'s key as the gate lists it`, 'sign with the private key whose public half is in manual.keys');
  }
  return signature;
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A URL is kept as it is; a file is recorded with its absolute path and sha256, so the evidence cannot silently change. */
async function describeEvidence(evidence: string, cwd: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(evidence)) return evidence;
  const file = resolve(cwd, evidence);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new UsageError(`--evidence ${evidence}: neither a URL nor an existing file`, 'give a link (https://…) or the path of a file');
  }
  return `file:${file} sha256:${await sha256(file)}`;
}

export async function approveCommand(
  gate: string,
  flags: { config?: string; by?: string; evidence?: string; note?: string; version?: string; commit?: string; sign?: string },
  ctx: CliContext,
): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    // A manual gate, or a rollout stage with `approve: manual` (approved the same way, by its id).
    const stage = config.rollout?.stages.find((s) => s.id === gate);
    const g = Object.hasOwn(config.gates, gate) ? config.gates[gate] : stage;
    if (!g) {
      const near = suggest(gate, [...Object.keys(config.gates), ...(config.rollout?.stages.map((s) => s.id) ?? [])]);
      throw new UsageError(`no gate or rollout stage named "${gate}"`, near ? `did you mean "${near}"?` : undefined);
    }
    if (!g.manual) throw new UsageError(stage ? `rollout stage "${gate}" has no \`approve: manual\`; it takes no approvals` : `gate "${gate}" is not a manual gate; only gates with \`manual:\` take approvals`);
    if (!flags.by) throw new UsageError('approve needs --by NAME (who signs off)');
    if (g.manual.approvers && !g.manual.approvers.includes(flags.by)) {
      throw new UsageError(`${flags.by} may not approve "${gate}"`, `approvers: ${g.manual.approvers.join(', ')}`);
    }
    if (g.manual.evidence === 'required' && !flags.evidence) {
      throw new UsageError(`gate "${gate}" requires evidence: pass --evidence URL-or-FILE`);
    }
    const info = await gitInfo(config.rootDir, ctx.env, { describe: flags.version === undefined });
    const version = flags.version ?? (await defaultVersion(config.rootDir, info));
    // Approvals match runs by full sha, and only of commits this repository has: a short sha or a
    // ref is resolved, and a commit git does not know is refused (an approval for code nobody can
    // look at approves nothing).
    const commit = flags.commit === undefined ? info.sha : ((await resolveCommit(config.rootDir, flags.commit)) ?? null);
    if (flags.commit !== undefined && !commit) {
      throw new UsageError(`--commit ${flags.commit}: not a commit of the repository at ${config.rootDir}`, 'fetch it first (git fetch), or give the commit being released');
    }
    if (g.manual.keys && !flags.sign) {
      throw new UsageError(`gate "${gate}" only counts signed approvals: pass --sign KEY-FILE (your ed25519 private key)`, 'e.g. --sign ~/.ssh/id_ed25519 (unencrypted) or a PEM key from `shipgate keygen`');
    }
    const evidence = flags.evidence ? await describeEvidence(flags.evidence, ctx.cwd) : undefined;
    const at = new Date().toISOString();
    const record = { project: config.name, gate, version, commit, by: flags.by, evidence, note: flags.note, at, definition: manualDefinition(g.manual) };
    const signature = flags.sign ? await signApproval(record, flags.sign, ctx.cwd, g.manual.keys) : undefined;
    await store.addApproval({ ...record, ...(signature ? { signature } : {}) });
    ctx.stdout.write(`approved ${gate} for ${version} @ ${short(commit)} by ${flags.by}${evidence ? ` with evidence ${evidence}` : ''}${signature ? ' (signed)' : ''}\n`);
    return EXIT.READY;
  });
}

export async function approvalsCommand(flags: { config?: string; gate?: string; version?: string; json?: boolean }, ctx: CliContext): Promise<number> {
  return withStore(flags, ctx, async (config, store) => {
    const list = await store.listApprovals(config.name, { gate: flags.gate, version: flags.version });
    if (flags.json) {
      json(ctx, { project: config.name, approvals: list });
      return EXIT.READY;
    }
    if (list.length === 0) {
      ctx.stdout.write('No approvals recorded.\n');
      return EXIT.READY;
    }
    ctx.stdout.write(
      `${table(
        ['GATE', 'VERSION', 'COMMIT', 'BY', 'AT (UTC)', 'EVIDENCE', 'NOTE'],
        list.map((a) => [a.gate, a.version, short(a.commit), a.by, a.at.replace('T', ' ').slice(0, 19), a.evidence ?? '-', a.note ?? '']),
      )}\n`,
    );
    return EXIT.READY;
  });
}
