/**
 * A signed release decision, verifiable at deploy: keygen writes a key pair (the public half in
 * OpenSSH form, which ssh-keygen itself reads), `run --attest` and `attest RUN` write an in-toto
 * Statement (SLSA verification summary) in a DSSE envelope, and `verify` exits 0 only for a valid
 * signature, PASSED and a matching artifact digest.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, ciProject } from '../fixtures/ci/project.js';
import { onlyRunDecision, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const statementOf = (env: Envelope) => JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as any;

let keys: string;
beforeAll(async () => {
  keys = await ciProject({ fail: false });
  dirs.push(keys);
  const r = await runCli(['keygen', '--out', 'release'], { cwd: keys });
  expect(r.code).toBe(0);
});

describe('keygen', () => {
  it('writes NAME.key (PKCS#8 PEM, 0600) and NAME.pub (OpenSSH line ssh-keygen reads), never overwriting', async () => {
    expect(readFileSync(join(keys, 'release.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(join(keys, 'release.key')).mode & 0o777).toBe(0o600);
    const pub = readFileSync(join(keys, 'release.pub'), 'utf8');
    expect(pub).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ shipgate\n$/);
    const fp = execFileSync('ssh-keygen', ['-l', '-f', join(keys, 'release.pub')], { encoding: 'utf8' });
    const again = await runCli(['keygen', '--out', 'release'], { cwd: keys });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; shipgate keygen never overwrites a key');
    // The key id shipgate prints is the fingerprint ssh-keygen prints.
    const printed = await runCli(['keygen', '--out', 'other'], { cwd: keys });
    const otherFp = execFileSync('ssh-keygen', ['-l', '-f', join(keys, 'other.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(printed.stdout).toContain(`key ${otherFp}`);
    expect(fp).toMatch(/^256 SHA256:/);
  });
});

describe('run --attest and verify', () => {
  it('a READY run: statement, predicate and envelope as specified; verify passes for the artifact, fails for anything else', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const key = join(keys, 'release.key');
    const r = await runCli(['run', '1.2.3', '--no-history', '--attest', '--key', key, '--attest-out', 'out/attestation.json', '--attest-subject', `registry.example/demo@sha256:${'c'.repeat(64)}`], { cwd: dir, env: { API_TOKEN: SECRET } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/attestation: PASSED for 2 subjects, signed by SHA256:/);
    const { runDir, decision } = await onlyRunDecision(dir);
    const inRun = await readFile(join(runDir, 'attestation.intoto.json'), 'utf8');
    expect(await readFile(join(dir, 'out', 'attestation.json'), 'utf8')).toBe(inRun);
    const env = JSON.parse(inRun) as Envelope;
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    const st = statementOf(env);
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.predicateType).toBe('https://slsa.dev/verification_summary/v1');
    expect(st.subject).toEqual([
      { name: 'dist/app.tgz', digest: { sha256: sha(join(dir, 'dist', 'app.tgz')) } },
      { name: 'registry.example/demo', digest: { sha256: 'c'.repeat(64) } },
    ]);
    const p = st.predicate;
    expect(p.verifier).toEqual({ id: 'pkg:npm/shipgate', version: { shipgate: expect.any(String) } });
    expect(p.verificationResult).toBe('PASSED');
    expect(p.verifiedLevels).toEqual(['SHIPGATE_RELEASE_READY']);
    expect(p.resourceUri).toBe('pkg:generic/demo@1.2.3');
    expect(p.policy).toEqual({ uri: 'shipgate.yml', digest: { sha256: sha(join(dir, 'shipgate.yml')) } });
    expect(p.timeVerified).toBe(new Date(Date.parse(decision.startedAt) + decision.durationMs).toISOString());
    expect(p.inputAttestations).toEqual([
      { name: 'reports/junit.xml', digest: { sha256: sha(join(dir, 'reports', 'junit.xml')) }, annotations: { gate: 'unit', format: 'junit' } },
      { name: 'reports/lint.sarif', digest: { sha256: sha(join(dir, 'reports', 'lint.sarif')) }, annotations: { gate: 'lint', format: 'sarif' } },
    ]);
    expect(p.shipgate).toMatchObject({ result: 'READY', version: '1.2.3', runId: decision.runId, partial: false });
    expect(p.shipgate.gates.map((g: { id: string; status: string }) => `${g.id}:${g.status}`)).toEqual(['build:pass', 'unit:pass', 'lint:pass', 'perf:pass']);
    expect(inRun).not.toContain(SECRET);

    const pub = join(keys, 'release.pub');
    const ok = await runCli(['verify', 'out/attestation.json', '--key', pub, '--subject', 'dist/app.tgz'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`VERIFIED: demo 1.2.3 (run ${decision.runId}`);
    expect((await runCli(['verify', 'out/attestation.json', '--key', pub, '--subject', `sha256:${'c'.repeat(64)}`], { cwd: dir })).code).toBe(0);

    // Another artifact, another key, a tampered statement: all refused with the reason.
    await writeFile(join(dir, 'dist', 'other.tgz'), 'not the release\n');
    const wrongSubject = await runCli(['verify', 'out/attestation.json', '--key', pub, '--subject', 'dist/other.tgz'], { cwd: dir });
    expect(wrongSubject.code).toBe(1);
    expect(wrongSubject.stderr).toMatch(/^NOT VERIFIED: no subject of the attestation has the sha256 /);
    const wrongKey = await runCli(['verify', 'out/attestation.json', '--key', join(keys, 'other.pub'), '--subject', 'dist/app.tgz'], { cwd: dir });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/NOT VERIFIED: no signature verifies with the key SHA256:/);
    st.subject[0].digest.sha256 = sha(join(dir, 'dist', 'other.tgz'));
    await writeFile(join(dir, 'tampered.json'), JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(st)).toString('base64') }));
    const tampered = await runCli(['verify', 'tampered.json', '--key', pub, '--subject', 'dist/other.tgz'], { cwd: dir });
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('NOT VERIFIED: no signature verifies');
    const noKey = await runCli(['verify', 'out/attestation.json'], { cwd: dir });
    expect(noKey.code).toBe(1);
    const notJson = await runCli(['verify', 'shipgate.yml', '--key', pub], { cwd: dir });
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('NOT VERIFIED: the file is not JSON');
  });

  it('--key env:NAME signs with a key held in a variable (a CI secret) that no gate ever sees, and whose text is printed nowhere', async () => {
    const pem = readFileSync(join(keys, 'release.key'), 'utf8');
    const body = pem.split('\n')[1]!;
    const dir = await ciProject({ fail: false, extra: '', files: {} });
    dirs.push(dir);
    // A gate that tries to read the key (to sign a decision of its own) finds nothing.
    await writeFile(join(dir, 'shipgate.yml'), `name: demo\ngates:\n  peek:\n    run: 'printf "[%s]" "$RELEASE_SIGNING_PEM" > peek.txt; env > env.txt'\n`);
    const subject = `app@sha256:${'c'.repeat(64)}`;
    const r = await runCli(['run', '1.2.3', '--no-history', '--attest', '--key', 'env:RELEASE_SIGNING_PEM', '--attest-subject', subject], { cwd: dir, env: { RELEASE_SIGNING_PEM: pem } });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(dir, 'peek.txt'), 'utf8')).toBe('[]');
    expect(await readFile(join(dir, 'env.txt'), 'utf8')).not.toContain(body);
    const { runDir } = await onlyRunDecision(dir);
    const verified = await runCli(['verify', join(runDir, 'attestation.intoto.json'), '--key', join(keys, 'release.pub'), '--subject', `sha256:${'c'.repeat(64)}`], { cwd: dir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    for (const f of await readdir(runDir)) expect(await readFile(join(runDir, f), 'utf8'), f).not.toContain(body);
    expect(r.stdout + r.stderr).not.toContain(body);
    // `attest RUN` takes it the same way; an unset variable is a usage error before anything runs.
    const again = await runCli(['attest', runDir, '--key', 'env:RELEASE_SIGNING_PEM', '--subject', subject], { cwd: dir, env: { RELEASE_SIGNING_PEM: pem } });
    expect(again.code, again.stderr).toBe(0);
    const unset = await runCli(['run', '1.2.4', '--no-history', '--attest', '--key', 'env:NO_SUCH_KEY'], { cwd: dir, env: { NO_SUCH_KEY: undefined } });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('--key env:NO_SUCH_KEY: the variable NO_SUCH_KEY is not set');
    expect((await readdir(join(dir, '.shipgate', 'runs'))).length).toBe(1);
  });

  it('a BLOCKED run is attested FAILED, and verify refuses it with the blockers', async () => {
    const dir = await ciProject({ fail: true });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history', '--attest', '--key', join(keys, 'release.key')], { cwd: dir });
    expect(r.code).toBe(1);
    const { runDir } = await onlyRunDecision(dir);
    const env = JSON.parse(await readFile(join(runDir, 'attestation.intoto.json'), 'utf8')) as Envelope;
    expect(statementOf(env).predicate).toMatchObject({ verificationResult: 'FAILED', verifiedLevels: ['FAILED'] });
    const v = await runCli(['verify', join(runDir, 'attestation.intoto.json'), '--key', join(keys, 'release.pub'), '--subject', 'dist/app.tgz'], { cwd: dir });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/NOT VERIFIED: the release was not verified \(verificationResult "FAILED", shipgate BLOCKED\): unit: /);
  });

  it('attest RUN signs a recorded run; refuses when evidence changed after the run; --attest without a usable key runs nothing', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    expect((await runCli(['run', '1.2.3', '--no-history'], { cwd: dir })).code).toBe(0);
    const [id] = await readdir(join(dir, '.shipgate', 'runs'));
    const a = await runCli(['attest', id!.slice(0, 15), '--key', join(keys, 'release.key'), '--out', 'att.json'], { cwd: dir });
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('attestation: PASSED (READY) for 1 subject');
    expect((await runCli(['verify', 'att.json', '--key', join(keys, 'release.pub'), '--subject', 'dist/app.tgz'], { cwd: dir })).code).toBe(0);

    const later = new Date(Date.now() + 60_000);
    await utimes(join(dir, 'reports', 'junit.xml'), later, later);
    const changed = await runCli(['attest', id!, '--key', join(keys, 'release.key')], { cwd: dir });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('the evidence file reports/junit.xml (gate unit) changed after run');

    const noKey = await runCli(['run', '--no-history', '--attest'], { cwd: dir });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--attest needs --key FILE');
    const badKey = await runCli(['run', '--no-history', '--attest', '--key', join(keys, 'release.pub')], { cwd: dir });
    expect(badKey.code).toBe(2);
    expect((await readdir(join(dir, '.shipgate', 'runs'))).length).toBe(1);
  });
});
