/**
 * Manual gates through the real CLI: PENDING (and the release BLOCKED) until an approval for this
 * version and this commit is recorded; evidence and approver lists are enforced; the blocked
 * summary prints the exact command; `shipgate approvals` lists what was recorded.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parse as parseShell } from 'shell-quote';
import { afterEach, describe, expect, it } from 'vitest';
import { gate, removeProject } from './helpers.js';
import { cliJson, commitAll, git, makeGitProject, put, runJson, sg } from './history-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(files: Record<string, string>) {
  const p = await makeGitProject(files);
  dirs.push(p.dir);
  return p;
}

const config = `name: approvals-demo
gates:
  build:
    run: node -e "0"
  cost-guardrails:
    title: Cost guardrails verified in staging
    manual:
      checklist: ["Ran at least 10 representative sessions", "Budget cap stops gracefully"]
      evidence: required
      approvers: [alice, bob]
  docs-review:
    manual:
      checklist: ["Changelog read"]
      evidence: optional
`;

interface ApprovalsJson {
  approvals: { gate: string; version: string; commit: string | null; by: string; evidence?: string; note?: string }[];
}

describe('manual gates and approvals', () => {
  it('stays PENDING and BLOCKED until approved for this version and this commit; other versions and commits do not count', async () => {
    // The version comes from `git describe --tags` here, so no --version flag is involved (see the next test).
    const { dir, sha } = await project({ 'shipgate.yml': config });
    git(dir, 'tag', '0.9.0');
    const earlier = await sg(dir, ['approve', 'cost-guardrails', '--by', 'alice', '--evidence', 'https://ci.example/run/1']);
    expect(earlier.code, earlier.stderr).toBe(0);
    expect(earlier.stdout).toContain(`approved cost-guardrails for 0.9.0 @ ${sha.slice(0, 12)} by alice`);
    git(dir, 'tag', '-d', '0.9.0');
    git(dir, 'tag', '1.0.0');

    const blocked = await sg(dir, ['run']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(new RegExp(`cost-guardrails.*: PENDING \\(awaiting approval for 1\\.0\\.0 @ ${sha.slice(0, 12)}\\)`));
    expect(blocked.stdout).toContain('[ ] Ran at least 10 representative sessions');
    expect(blocked.stdout).toContain('RESULT: RELEASE BLOCKED');
    expect(blocked.stdout).toContain('approve with: npx shipgate approve cost-guardrails --by NAME --evidence URL-or-FILE --version 1.0.0');

    // An approval for a commit this repository does not have is refused, not recorded.
    const otherCommit = await sg(dir, ['approve', 'cost-guardrails', '--by', 'bob', '--evidence', 'https://ci.example/run/2', '--commit', 'f'.repeat(40)]);
    expect(otherCommit.code).toBe(2);
    expect(otherCommit.stderr).toContain(`--commit ${'f'.repeat(40)}: not a commit of the repository`);
    expect((await sg(dir, ['approve', 'docs-review', '--by', 'dave'])).code).toBe(0);
    const still = await runJson(dir, '1.0.0');
    expect(still.res.code).toBe(1);
    expect(gate(still.decision, 'cost-guardrails').status).toBe('pending');
    expect(gate(still.decision, 'docs-review').status).toBe('pass');
    expect(gate(still.decision, 'cost-guardrails').approveCommand).toBe(
      'npx shipgate approve cost-guardrails --by NAME --evidence URL-or-FILE --version 1.0.0',
    );

    const approved = await sg(dir, ['approve', 'cost-guardrails', '--by', 'alice', '--evidence', 'https://staging.example/report', '--note', 'ran 12 sessions']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`approved cost-guardrails for 1.0.0 @ ${sha.slice(0, 12)} by alice`);
    const ready = await runJson(dir, '1.0.0');
    expect(ready.res.code, ready.res.stderr).toBe(0);
    expect(gate(ready.decision, 'cost-guardrails').status).toBe('pass');

    // A new commit released under the same version needs a new sign-off.
    commitAll(dir, 'change pricing');
    const newCommit = await runJson(dir, '1.0.0');
    expect(newCommit.res.code).toBe(1);
    expect(gate(newCommit.decision, 'cost-guardrails').status).toBe('pending');

    const all = await cliJson<ApprovalsJson>(dir, ['approvals']);
    expect(all.approvals).toHaveLength(3);
    const mine = await cliJson<ApprovalsJson>(dir, ['approvals', '--gate', 'cost-guardrails']);
    expect(mine.approvals.map((a) => [a.version, a.by, a.commit])).toEqual([
      ['1.0.0', 'alice', sha],
      ['0.9.0', 'alice', sha],
    ]);
    expect(mine.approvals[0]).toMatchObject({ evidence: 'https://staging.example/report', note: 'ran 12 sessions' });
    const text = await sg(dir, ['approvals', '--gate', 'cost-guardrails']);
    expect(text.stdout).toMatch(/^GATE\s+VERSION\s+COMMIT\s+BY\s+AT \(UTC\)\s+EVIDENCE\s+NOTE$/m);
    expect(text.stdout).toMatch(/cost-guardrails\s+1\.0\.0\s+[0-9a-f]{12}\s+alice\s.*https:\/\/staging\.example\/report\s+ran 12 sessions/);
  });

  it('the approve command printed in the blocked summary, run as printed, records the approval and unblocks the release; --version selects the version', async () => {
    const { dir, sha } = await project({ 'shipgate.yml': config });
    expect((await sg(dir, ['approve', 'docs-review', '--by', 'dave', '--version', '1.0.0'])).code).toBe(0);
    const blocked = await sg(dir, ['run', '1.0.0']);
    expect(blocked.code).toBe(1);
    const printed = /approve with: (npx shipgate approve cost-guardrails .*)$/m.exec(blocked.stdout)?.[1];
    expect(printed).toBe('npx shipgate approve cost-guardrails --by NAME --evidence URL-or-FILE --version 1.0.0');

    const args = parseShell(printed!.replace('NAME', 'alice').replace('URL-or-FILE', 'https://staging.example/report')) as string[];
    expect(args.slice(0, 3)).toEqual(['npx', 'shipgate', 'approve']);
    const approved = await sg(dir, args.slice(2));
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`approved cost-guardrails for 1.0.0 @ ${sha.slice(0, 12)} by alice`);
    const listed = await cliJson<ApprovalsJson>(dir, ['approvals', '--version', '1.0.0']);
    expect(listed.approvals.map((a) => [a.gate, a.version])).toEqual([
      ['cost-guardrails', '1.0.0'],
      ['docs-review', '1.0.0'],
    ]);
    const ready = await runJson(dir, '1.0.0');
    expect(ready.res.code, ready.res.stderr).toBe(0);
  });

  it('enforces required evidence and the approver list, and names unknown or non-manual gates', async () => {
    const { dir } = await project({ 'shipgate.yml': config });
    const noEvidence = await sg(dir, ['approve', 'cost-guardrails', '--by', 'alice']);
    expect(noEvidence.code).toBe(2);
    expect(noEvidence.stderr).toContain('requires evidence');
    const stranger = await sg(dir, ['approve', 'cost-guardrails', '--by', 'mallory', '--evidence', 'https://x.example']);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('mallory may not approve "cost-guardrails"');
    expect(stranger.stderr).toContain('alice, bob');
    const noBy = await sg(dir, ['approve', 'docs-review']);
    expect(noBy.code).toBe(2);
    const missingFile = await sg(dir, ['approve', 'cost-guardrails', '--by', 'alice', '--evidence', 'no/such/file.pdf']);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain('neither a URL nor an existing file');
    const notManual = await sg(dir, ['approve', 'build', '--by', 'alice']);
    expect(notManual.code).toBe(2);
    expect(notManual.stderr).toContain('not a manual gate');
    const typo = await sg(dir, ['approve', 'cost-guardrail', '--by', 'alice']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean "cost-guardrails"');
    expect((await cliJson<ApprovalsJson>(dir, ['approvals'])).approvals).toEqual([]);
    expect((await sg(dir, ['approvals'])).stdout).toContain('No approvals recorded.');
  });

  it('records a file given as evidence with its path and sha256', async () => {
    const { dir } = await project({ 'shipgate.yml': config });
    const content = 'sessions: 12\nbudget cap: ok\n';
    await put(dir, 'evidence/staging.txt', content);
    const res = await sg(dir, ['approve', 'cost-guardrails', '--by', 'bob', '--evidence', 'evidence/staging.txt']);
    expect(res.code, res.stderr).toBe(0);
    const [a] = (await cliJson<ApprovalsJson>(dir, ['approvals'])).approvals;
    const digest = createHash('sha256').update(content).digest('hex');
    expect(a!.evidence).toBe(`file:${join(dir, 'evidence/staging.txt')} sha256:${digest}`);
  });

  it('with --no-history an approval cannot be read, so the manual gate stays PENDING', async () => {
    const { dir } = await project({ 'shipgate.yml': config });
    git(dir, 'tag', '1.0.0');
    expect((await sg(dir, ['approve', 'cost-guardrails', '--by', 'alice', '--evidence', 'https://x.example'])).code).toBe(0);
    expect((await sg(dir, ['approve', 'docs-review', '--by', 'alice'])).code).toBe(0);
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    const off = await runJson(dir, '1.0.0', ['--no-history']);
    expect(off.res.code).toBe(1);
    expect(gate(off.decision, 'cost-guardrails').status).toBe('pending');
  });
});

describe('approving by a short commit', () => {
  it('resolves a short sha to the full one, so the approval matches the run; an unknown one is refused', async () => {
    const { dir, sha } = await project({ 'shipgate.yml': config });
    for (const [gateId, by] of [['cost-guardrails', 'alice'], ['docs-review', 'dave']] as const) {
      const res = await sg(dir, ['approve', gateId, '--by', by, '--evidence', 'https://ci.example/run/1', '--version', '1.0.0', '--commit', sha.slice(0, 8)]);
      expect(res.code, res.stderr).toBe(0);
    }
    const { res, decision } = await runJson(dir, '1.0.0');
    expect(res.code, res.stderr).toBe(0);
    expect(decision.result).toBe('READY');
    const bad = await sg(dir, ['approve', 'docs-review', '--by', 'dave', '--version', '1.0.0', '--commit', 'deadbee']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a commit');
  });
});
