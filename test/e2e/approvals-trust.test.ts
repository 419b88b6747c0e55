/**
 * Approvals and quarantine a security reviewer would accept, through the real CLI: an approval is
 * bound to the gate's definition and expires; nobody approves a gate they ran; evidence files that
 * changed void the approval; where the gate names keys only signed approvals count, and a row
 * written into the store by hand counts for nothing; a quarantine always ends, soon, and never
 * covers every test. Each attack has its honest neighbour.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { daysFromNow, gate, removeProject } from './helpers.js';
import { commitAll, git, makeGitProject, put, runJson, sg } from './history-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(files: Record<string, string>) {
  const p = await makeGitProject(files);
  dirs.push(p.dir);
  return p;
}

const manualConfig = (manual: string) => `name: signoff
gates:
  signoff:
    manual: ${manual}
`;

function sshKey(dir: string, name: string): { priv: string; pub: string } {
  const path = join(dir, `${name}.key`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  return { priv: path, pub: execFileSync('cat', [`${path}.pub`], { encoding: 'utf8' }).trim() };
}

describe('approvals bound to what was approved', () => {
  it('a changed checklist needs a new approval; the unchanged definition keeps it', async () => {
    const { dir } = await project({ 'shipgate.yml': manualConfig('{ checklist: ["ran 10 sessions"] }') });
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0'])).code).toBe(0);
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    // Same commit and version, but the checklist now promises something else.
    await put(dir, 'shipgate.yml', manualConfig('{ checklist: ["ran 10 sessions", "budget cap stops gracefully"] }'));
    const changed = await runJson(dir, '1.0.0');
    expect(changed.res.code).toBe(1);
    expect(gate(changed.decision, 'signoff')).toMatchObject({ status: 'pending', reason: expect.stringContaining('it approved an earlier definition of the gate') });
    expect(changed.res.stderr).toContain('✗ approval by alice at');
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0'])).code).toBe(0);
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
  });

  it('an approval expires (manual.expires); within it, it counts', async () => {
    const { dir } = await project({ 'shipgate.yml': manualConfig('{ expires: 1ms }') });
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0'])).code).toBe(0);
    const expired = await runJson(dir, '1.0.0');
    expect(expired.res.code).toBe(1);
    expect(gate(expired.decision, 'signoff').reason).toMatch(/it expired on /);
    await put(dir, 'shipgate.yml', manualConfig('{ expires: 30d }'));
    commitAll(dir, 'a month');
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0'])).code).toBe(0);
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
  });

  it('nobody approves a gate they ran: the CI actor is not their own approver', async () => {
    const { dir } = await project({ 'shipgate.yml': manualConfig('{ approvers: [alice, bob] }') });
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0'])).code).toBe(0);
    const self = await runJson(dir, '1.0.0', [], { GITHUB_ACTOR: 'alice' });
    expect(self.res.code).toBe(1);
    expect(gate(self.decision, 'signoff').reason).toContain('alice ran this gate and cannot approve it (no self-approval)');
    // Another approver's sign-off, or someone else running the gate, is fine.
    expect((await runJson(dir, '1.0.0', [], { GITHUB_ACTOR: 'bob' })).res.code).toBe(0);
    expect((await sg(dir, ['approve', 'signoff', '--by', 'bob', '--version', '1.0.0'])).code).toBe(0);
    expect((await runJson(dir, '1.0.0', [], { GITHUB_ACTOR: 'alice' })).res.code).toBe(0);
  });

  it('outside CI, the git user is who ran the gate: they cannot approve it either', async () => {
    const { dir } = await project({ 'shipgate.yml': manualConfig('{ approvers: [alice, bob] }') });
    git(dir, 'config', 'user.name', 'alice');
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0'])).code).toBe(0);
    const self = await runJson(dir, '1.0.0', [], { USER: 'someone-else' });
    expect(self.res.code).toBe(1);
    expect(gate(self.decision, 'signoff').reason).toContain('alice ran this gate and cannot approve it (no self-approval)');
    git(dir, 'config', 'user.name', 'bob');
    expect((await runJson(dir, '1.0.0', [], { USER: 'someone-else' })).res.code).toBe(0);
  });

  it('an evidence file is hashed again at gate time: a changed file voids the approval', async () => {
    const { dir } = await project({ 'shipgate.yml': manualConfig('{ evidence: required }'), 'evidence/report.txt': '12 sessions, all within budget\n' });
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0', '--evidence', 'evidence/report.txt'])).code).toBe(0);
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    await writeFile(join(dir, 'evidence', 'report.txt'), '3 sessions, budget exceeded\n');
    const changed = await runJson(dir, '1.0.0');
    expect(changed.res.code).toBe(1);
    expect(gate(changed.decision, 'signoff').reason).toMatch(/evidence file .*report\.txt changed since it was approved/);
  });
});

describe('signed approvals', () => {
  it('only an approval signed with the approver\'s key counts; unsigned, wrong-key, hand-written and edited rows do not', async () => {
    const { dir } = await project({ 'shipgate.yml': 'name: signed\ngates:\n  g:\n    run: "true"\n' });
    const alice = sshKey(dir, 'alice');
    const mallory = sshKey(dir, 'mallory');
    await put(dir, 'shipgate.yml', `name: signed\ngates:\n  signoff:\n    manual: { approvers: [alice], keys: { alice: "${alice.pub}" } }\n`);
    commitAll(dir, 'keys');

    const unsigned = await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0']);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('only counts signed approvals: pass --sign KEY-FILE');
    const wrongKey = await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0', '--sign', mallory.priv]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain("is not alice's key as the gate lists it");

    // A row written into the store by hand (as someone with write access to the database could).
    const db = new Database(join(dir, '.shipgate', 'shipgate.db'));
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    db.prepare('insert into approvals (project, gate, version, "commit", by, at, definition, signature) values (?, ?, ?, ?, ?, ?, ?, ?)').run('signed', 'signoff', '1.0.0', sha, 'alice', new Date().toISOString(), null, Buffer.alloc(64).toString('base64'));
    db.close();
    const forged = await runJson(dir, '1.0.0');
    expect(forged.res.code).toBe(1);
    expect(gate(forged.decision, 'signoff').reason).toContain('none counts');

    const signed = await sg(dir, ['approve', 'signoff', '--by', 'alice', '--version', '1.0.0', '--sign', alice.priv, '--note', 'checked']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain('(signed)');
    const ok = await runJson(dir, '1.0.0');
    expect(ok.res.code, ok.res.stderr).toBe(0);
    expect(gate(ok.decision, 'signoff').checks.find((c) => c.check === 'approval signature')).toMatchObject({ ok: true });

    // Editing the signed row afterwards (the note, here) breaks its signature.
    const db2 = new Database(join(dir, '.shipgate', 'shipgate.db'));
    db2.prepare("update approvals set note = 'checked (not really)' where signature is not null and note = 'checked'").run();
    db2.close();
    const edited = await runJson(dir, '1.0.0');
    expect(edited.res.code).toBe(1);
    expect(gate(edited.decision, 'signoff').reason).toMatch(/signature does not verify against alice's key/);
  });

  it('a key that is not an OpenSSH ed25519 public key is a configuration error', async () => {
    const { dir } = await project({ 'shipgate.yml': 'gates:\n  s:\n    manual: { keys: { alice: "ssh-rsa AAAAB3NzaC1yc2E alice" } }\n' });
    const res = await sg(dir, ['validate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/the key of alice: not an OpenSSH ed25519 public key.*\(at gates\.s\.manual\.keys\.alice\) \[CONFIG_VALUE\]/);
  });
});

describe('quarantine entries in the config', () => {
  it('need an end no more than 90 days away and a pattern that is not "everything"', async () => {
    const far = daysFromNow(200);
    const { dir } = await project({
      'shipgate.yml': `quarantine:\n  - { tests: "*", reason: "noisy", until: ${daysFromNow(10)} }\n  - { tests: "a::b", reason: "later", until: ${far} }\n  - { tests: "c::d", reason: "no end" }\ngates:\n  g:\n    run: "true"\n`,
    });
    const res = await sg(dir, ['validate']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('quarantine pattern "*" matches every test');
    expect(res.stderr).toContain(`quarantine until ${far} is more than 90 days away`);
    expect(res.stderr).toMatch(/missing required field "until"/);
    await put(dir, 'shipgate.yml', `defaults: { quarantine-max: 365d }\nquarantine:\n  - { tests: "a::b", reason: "later", until: ${far} }\ngates:\n  g:\n    run: "true"\n`);
    expect((await sg(dir, ['validate'])).code).toBe(0);
  });
});
