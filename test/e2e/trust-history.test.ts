/**
 * What history must be able to say, through the real CLI: every number an expect can name has a
 * baseline (tests.*, findings.*), `findings.new` catches a swapped finding, the baseline branch is
 * the repository's default branch and a missing baseline says exactly why (and blocks under
 * `baseline.require`); a run on uncommitted changes says so, is never last-good nor a baseline,
 * and does not make a local breakage look flaky; a partial run says PARTIAL RUN everywhere; a
 * publish happens only after a READY, full, clean run is recorded.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gate, NODE, removeProject, shq } from './helpers.js';
import { cliJson, commitAll, git, historyCmd, junit, makeGitProject, put, runJson, sg, type HistoryJson } from './history-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(files: Record<string, string>) {
  const p = await makeGitProject(files);
  dirs.push(p.dir);
  return p;
}

/** A SARIF log of one eslint run with these findings. */
function sarif(results: { rule: string; level?: string; file: string; line: number; message: string }[]): string {
  return JSON.stringify({
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'eslint', rules: [...new Set(results.map((r) => r.rule))].map((id) => ({ id })) } },
        results: results.map((r) => ({
          ruleId: r.rule,
          level: r.level ?? 'warning',
          message: { text: r.message },
          locations: [{ physicalLocation: { artifactLocation: { uri: r.file }, region: { startLine: r.line } } }],
        })),
      },
    ],
  });
}

const warnA = { rule: 'no-unused-vars', file: 'src/a.js', line: 3, message: "'x' is assigned a value but never used." };
const warnB = { rule: 'no-console', file: 'src/b.js', line: 9, message: 'Unexpected console statement.' };

describe('baselines for every numeric path', () => {
  const scanConfig = `name: scan-demo
baseline: { min-runs: 1, runs: 3 }
gates:
  scan:
    run: ${historyCmd('emit.mjs', 'eslint.sarif')}
    reports: [reports/eslint.sarif]
    expect: ["findings.warning <= baseline", "findings.new == 0"]
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
    expect: ["tests.total >= baseline"]
`;

  it('findings.warning <= baseline and tests.total >= baseline fire; findings.new == 0 catches a swapped warning', async () => {
    const { dir } = await project({
      'shipgate.yml': scanConfig,
      'next/eslint.sarif': sarif([warnA]),
      'next/unit.xml': junit({ 'app.A::one': 'pass', 'app.A::two': 'pass', 'app.A::three': 'pass' }),
    });
    // First run: no baseline anywhere yet — warnings with the reason, never a block.
    const first = await runJson(dir, '1.0.0');
    expect(first.res.code, first.res.stderr).toBe(0);
    expect(gate(first.decision, 'scan').warnings.join('\n')).toContain('no run has ever been recorded on branch main');

    // Same findings and tests: both pass against the baseline.
    const same = await runJson(dir, '1.0.1');
    expect(same.res.code, same.res.stderr).toBe(0);
    expect(gate(same.decision, 'scan').checks.find((c) => c.check === 'findings.new == 0')).toMatchObject({ ok: true, actual: '0' });

    // A new warning: findings.warning 2 > baseline 1, and it is new.
    await put(dir, 'next/eslint.sarif', sarif([warnA, warnB]));
    const more = await runJson(dir, '1.0.2');
    expect(more.res.code).toBe(1);
    const scan = gate(more.decision, 'scan');
    expect(scan.checks.find((c) => c.check === 'findings.warning <= baseline')).toMatchObject({ ok: false, actual: '2', expected: '<= 1' });
    expect(scan.checks.find((c) => c.check === 'findings.new == 0')).toMatchObject({ ok: false, actual: '1' });
    // The findings that make it fail are listed, the new one marked.
    expect(scan.findings).toEqual([
      expect.objectContaining({ level: 'warning', rule: 'no-console', file: 'src/b.js', line: 9, new: true }),
      expect.objectContaining({ level: 'warning', rule: 'no-unused-vars', file: 'src/a.js', line: 3, new: false }),
    ]);
    expect(more.res.stderr).toContain('WARNING no-console (new) src/b.js:9 — Unexpected console statement.');

    // The swap: A fixed, B introduced. The count is unchanged (1 <= 1), yet B is new.
    await put(dir, 'next/eslint.sarif', sarif([warnB]));
    const swapped = await runJson(dir, '1.0.3');
    expect(swapped.res.code).toBe(1);
    const sw = gate(swapped.decision, 'scan');
    expect(sw.checks.find((c) => c.check === 'findings.warning <= baseline')).toMatchObject({ ok: true });
    expect(sw.checks.find((c) => c.check === 'findings.new == 0')).toMatchObject({ ok: false, actual: '1' });
    // The line moving is not a new finding (fingerprints leave the line out).
    await put(dir, 'next/eslint.sarif', sarif([{ ...warnA, line: 40 }]));
    expect((await runJson(dir, '1.0.4')).res.code).toBe(0);

    // A test removed: tests.total 2 < baseline 3.
    await put(dir, 'next/unit.xml', junit({ 'app.A::one': 'pass', 'app.A::two': 'pass' }));
    const fewer = await runJson(dir, '1.0.5');
    expect(fewer.res.code).toBe(1);
    expect(gate(fewer.decision, 'unit').checks.find((c) => c.check === 'tests.total >= baseline')).toMatchObject({ ok: false, actual: '2', expected: '>= 3' });
  });

  it('a baseline of one gate is never another gate\'s', async () => {
    const { dir } = await project({
      'shipgate.yml': `name: two-gates
baseline: { min-runs: 1 }
gates:
  big:
    run: ${historyCmd('emit.mjs', 'big.xml')}
    reports: [reports/big.xml]
  small:
    run: ${historyCmd('emit.mjs', 'small.xml')}
    reports: [reports/small.xml]
    expect: ["tests.total >= baseline"]
`,
      'next/big.xml': junit({ 'a::1': 'pass', 'a::2': 'pass', 'a::3': 'pass', 'a::4': 'pass' }),
      'next/small.xml': junit({ 'b::1': 'pass' }),
    });
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    const second = await runJson(dir, '1.0.1');
    expect(second.res.code, second.res.stderr).toBe(0);
    expect(gate(second.decision, 'small').checks.find((c) => c.check === 'tests.total >= baseline')).toMatchObject({ ok: true, expected: '>= 1' });
  });
});

describe('the baseline branch and a missing baseline', () => {
  const metricConfig = (baseline: string) => `name: branchy
baseline: ${baseline}
gates:
  bench:
    run: ${historyCmd('emit.mjs', 'm.json')}
    reports: [reports/m.json]
    expect: ["metric.parse_ms within baseline"]
`;
  const metric = (v: number) => JSON.stringify({ metrics: { parse_ms: { value: v, unit: 'ms' } } });

  it('defaults to origin/HEAD, else main or master; names the exact reason there is no baseline; require: true blocks', async () => {
    const { dir } = await project({ 'shipgate.yml': metricConfig('{ min-runs: 1 }'), 'next/m.json': metric(100) });
    // The remote's default branch is `trunk`: baselines come from there, and no run was ever made there.
    git(dir, 'update-ref', 'refs/remotes/origin/trunk', 'HEAD');
    git(dir, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/trunk');
    const fromTrunk = await runJson(dir, '1.0.0');
    expect(fromTrunk.res.code, fromTrunk.res.stderr).toBe(0);
    expect(gate(fromTrunk.decision, 'bench').warnings).toContain('no run has ever been recorded on branch trunk, so there is no baseline');

    // Without a remote, the repository's `master` (there is no main).
    const { dir: m } = await project({ 'shipgate.yml': metricConfig('{ min-runs: 1 }'), 'next/m.json': metric(100) });
    git(m, 'branch', '-m', 'main', 'master');
    expect((await runJson(m, '1.0.0')).res.code).toBe(0);
    const second = await runJson(m, '1.0.1');
    expect(gate(second.decision, 'bench').checks[1]!.message).toContain('(median of 1 READY run on master');

    // History off says so; `require: true` makes a missing baseline block, with the reason.
    const off = await sg(dir, ['run', '1.0.2', '--no-history', '--json']);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout).warnings.join('\n')).toContain('history is off (--no-history): there is no baseline to compare with');
    await put(dir, 'shipgate.yml', metricConfig('{ min-runs: 1, require: true }'));
    commitAll(dir, 'require baselines');
    const required = await sg(dir, ['run', '1.0.3', '--no-history', '--json']);
    expect(required.code).toBe(1);
    expect(JSON.parse(required.stdout).blockers.join('\n')).toContain('history is off (--no-history): there is no baseline to compare with; baseline.require is set, so this blocks');
  });
});

describe('what was tested is what is released', () => {
  const unitConfig = `name: dirty-demo
baseline: { min-runs: 1 }
gates:
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
`;

  it('a staged change is uncommitted too; an ignored file is not; different changes have different fingerprints', async () => {
    const { dir } = await project({ 'shipgate.yml': unitConfig, 'next/unit.xml': junit({ 'app.A::one': 'pass' }), 'src/app.js': 'export const x = 1;\n' });
    // A file the repository ignores is no change to what is released.
    await put(dir, 'local.state', 'scratch');
    const ignored = await runJson(dir, '1.0.0', ['--require-clean']);
    expect(ignored.res.code, ignored.res.stderr).toBe(0);
    expect(ignored.decision.tree).toEqual({ dirty: false, files: 0, fingerprint: null });

    await put(dir, 'src/app.js', 'export const x = 2;\n');
    git(dir, 'add', 'src/app.js');
    const staged = await runJson(dir, '1.0.1', ['--require-clean']);
    expect(staged.res.code).toBe(1);
    expect(staged.decision.tree).toMatchObject({ dirty: true, files: 1 });
    await put(dir, 'src/app.js', 'export const x = 3;\n');
    git(dir, 'add', 'src/app.js');
    const other = await runJson(dir, '1.0.2');
    expect(other.decision.tree).toMatchObject({ dirty: true, files: 1 });
    expect(other.decision.tree!.fingerprint).not.toBe(staged.decision.tree!.fingerprint);
  });

  it('a run on uncommitted changes says so, is never last-good nor a baseline, and --require-clean blocks it', async () => {
    const { dir, sha } = await project({ 'shipgate.yml': unitConfig, 'next/unit.xml': junit({ 'app.A::one': 'pass' }), 'src/app.js': 'export const x = 1;\n' });
    const clean = await runJson(dir, '1.0.0', ['--require-clean']);
    expect(clean.res.code, clean.res.stderr).toBe(0);
    expect(clean.decision.tree).toEqual({ dirty: false, files: 0, fingerprint: null });

    await put(dir, 'src/app.js', 'export const x = 2;\n');
    await put(dir, 'src/new.js', 'export const y = 1;\n');
    const dirty = await runJson(dir, '1.0.1');
    expect(dirty.res.code, dirty.res.stderr).toBe(0);
    expect(dirty.decision.tree).toMatchObject({ dirty: true, files: 2, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(dirty.res.stderr).toContain(`UNCOMMITTED CHANGES: 2 files differ from ${sha.slice(0, 12)}`);
    expect(dirty.decision.warnings).toContain('uncommitted changes: 2 files; this run is never last-good nor a baseline');
    // Last good is still the clean run.
    expect((await cliJson<{ version: string }>(dir, ['last-good'])).version).toBe('1.0.0');
    const h = await cliJson<{ runs: { version: string; dirty: boolean | null }[] }>(dir, ['history']);
    expect(h.runs.map((r) => [r.version, r.dirty])).toEqual([
      ['1.0.1', true],
      ['1.0.0', false],
    ]);
    // shipgate's own folder never counts as a change (it is written by every run).
    expect(dirty.decision.tree!.files).toBe(2);

    const blocked = await runJson(dir, '1.0.2', ['--require-clean']);
    expect(blocked.res.code).toBe(1);
    expect(blocked.decision.blockers).toEqual(['--require-clean is set and the working tree has uncommitted changes (2 files)']);
  });

  it('a local edit that breaks a test is a failure, not "newly flaky"; the same flip on a clean tree is', async () => {
    const { dir } = await project({ 'shipgate.yml': unitConfig, 'next/unit.xml': junit({ 'app.A::one': 'pass' }), 'src/app.js': 'v1\n' });
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    await put(dir, 'src/app.js', 'v2 (breaks app.A::one)\n');
    await put(dir, 'next/unit.xml', junit({ 'app.A::one': 'fail' }));
    const broken = await runJson(dir, '1.0.1');
    expect(broken.res.code).toBe(1);
    expect(broken.decision.warnings.join('\n')).not.toContain('newly flaky');

    // Honest neighbour: the same commit, the same clean tree, a different outcome — that is flaky.
    await put(dir, 'src/app.js', 'v1\n');
    const flip = await runJson(dir, '1.0.2');
    expect(flip.res.code).toBe(1);
    expect(flip.decision.warnings.join('\n')).toMatch(/newly flaky: app\.A::one \(failed now but passed on the same commit/);
  });

  it('a partial run says PARTIAL RUN in the summary, the decision and history; notes and last-good pass it by', async () => {
    const { dir } = await project({
      'shipgate.yml': `${unitConfig}  other:\n    run: node -e "0"\n`,
      'next/unit.xml': junit({ 'app.A::one': 'pass' }),
    });
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    const partial = await runJson(dir, '1.1.0', ['--only', 'unit']);
    expect(partial.res.code).toBe(0);
    expect(partial.decision).toMatchObject({ partial: true, selection: '--only unit' });
    expect(partial.res.stderr).toContain('PARTIAL RUN (--only unit): not every gate ran; never last-good nor a baseline');
    expect(partial.res.stderr).toContain('RESULT: RELEASE READY (partial run)');
    const h = await cliJson<HistoryJson & { runs: { partial: boolean; selection: string | null }[] }>(dir, ['history']);
    expect(h.runs[0]).toMatchObject({ version: '1.1.0', partial: true, selection: '--only unit' });
    expect((await sg(dir, ['history'])).stdout).toMatch(/1\.1\.0 .*READY\s+PARTIAL/);
    expect((await cliJson<{ version: string }>(dir, ['last-good'])).version).toBe('1.0.0');
    const notes = await sg(dir, ['notes']);
    expect(notes.stdout).toMatch(/^# dirty-demo 1\.0\.0/);
    const partialNotes = await sg(dir, ['notes', h.runs[0]!.id]);
    expect(partialNotes.stdout).toContain('**PARTIAL RUN** (--only unit)');
  });
});

describe('publish', () => {
  const recordEnv = (file: string) =>
    `${shq(NODE)} -e ${shq(
      `const fs=require('fs');fs.writeFileSync(${JSON.stringify(file)}, [process.env.SHIPGATE_VERSION, process.env.SHIPGATE_GIT_SHA, fs.readFileSync(process.env.SHIPGATE_NOTES_FILE,'utf8').split('\\n')[0]].join('\\n'))`,
    )}`;
  const publishConfig = `name: pub-demo
gates:
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
publish:
  - title: Upload
    run: ${recordEnv('published.txt')}
  - title: Tag
    run: node -e "process.exit(Number(process.env.FAIL_TAG || 0))"
`;

  it('runs the steps after a READY full clean run is recorded, with version, commit and notes; records who and what', async () => {
    const { dir, sha } = await project({ 'shipgate.yml': publishConfig, 'next/unit.xml': junit({ 'app.A::one': 'pass' }) });
    const ok = await runJson(dir, '2.0.0', ['--publish'], { GITHUB_ACTOR: 'release-captain' });
    expect(ok.res.code, ok.res.stderr).toBe(0);
    expect(ok.decision.publish).toMatchObject({ status: 'done', steps: [{ title: 'Upload', ok: true }, { title: 'Tag', ok: true }] });
    expect(await readFile(join(dir, 'published.txt'), 'utf8')).toBe(`2.0.0\n${sha}\n# pub-demo 2.0.0`);
    expect(ok.res.stderr).toContain('PUBLISHED (2/2 steps)');
    const h = await cliJson<{ actions: { kind: string; by: string; toVersion: string; toCommit: string; runId: string; result: string }[] }>(dir, ['history']);
    expect(h.actions).toEqual([expect.objectContaining({ kind: 'publish', by: 'release-captain', toVersion: '2.0.0', toCommit: sha, runId: ok.decision.runId, result: 'done' })]);
    // The run was recorded before the publish: its decision in history says READY.
    expect((await cliJson<{ result: string }>(dir, ['show', ok.decision.runId])).result).toBe('READY');
  });

  it('a probe step that gets the wrong answer fails the publish there: later steps do not run, the failure is recorded', async () => {
    let status = 500;
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'registry unavailable');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const cfg = `name: pub-probe
gates:
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
publish:
  - title: Registry up
    probe: { get: "http://127.0.0.1:${port}/health", status: 200 }
  - title: Upload
    run: ${recordEnv('published.txt')}
`;
      const { dir } = await project({ 'shipgate.yml': cfg, 'next/unit.xml': junit({ 'app.A::one': 'pass' }) });
      const down = await runJson(dir, '3.0.0', ['--publish']);
      expect(down.res.code).toBe(1);
      expect(down.decision).toMatchObject({ result: 'READY', publish: { status: 'failed', reason: 'step 1 (Registry up) failed' } });
      expect(down.decision.publish!.steps).toHaveLength(1);
      expect(down.decision.publish!.steps[0]!.checks[0]).toMatchObject({ expected: '200', actual: '500', ok: false, message: 'body: "registry unavailable"' });
      expect(existsSync(join(dir, 'published.txt'))).toBe(false);
      // The honest neighbour: the registry answers, both steps run.
      status = 200;
      const up = await runJson(dir, '3.0.1', ['--publish']);
      expect(up.res.code, up.res.stderr).toBe(0);
      expect(up.decision.publish).toMatchObject({ status: 'done', steps: [{ title: 'Registry up', ok: true }, { title: 'Upload', ok: true }] });
      const h = await cliJson<{ actions: { toVersion: string; result: string }[] }>(dir, ['history']);
      expect(h.actions.map((a) => [a.toVersion, a.result])).toEqual([
        ['3.0.1', 'done'],
        ['3.0.0', 'failed'],
      ]);
    } finally {
      server.close();
    }
  });

  it('a failed step exits 1 and is recorded; a BLOCKED, partial or dirty run is never published', async () => {
    const { dir } = await project({ 'shipgate.yml': publishConfig, 'next/unit.xml': junit({ 'app.A::one': 'pass' }) });
    const failed = await runJson(dir, '2.0.0', ['--publish'], { FAIL_TAG: '5' });
    expect(failed.res.code).toBe(1);
    expect(failed.decision).toMatchObject({ result: 'READY', publish: { status: 'failed', reason: 'step 2 (Tag) failed' } });
    expect(failed.res.stderr).toContain('PUBLISH FAILED (1/2 steps): step 2 (Tag) failed');

    await put(dir, 'published.txt', '');
    const partial = await runJson(dir, '2.0.1', ['--publish', '--only', 'unit']);
    expect(partial.res.code).toBe(1);
    expect(partial.decision.publish).toMatchObject({ status: 'refused', reason: 'the run is partial (--only unit): only a full run can be published', steps: [] });
    await put(dir, 'stray.txt', 'uncommitted');
    const dirty = await runJson(dir, '2.0.2', ['--publish']);
    expect(dirty.res.code).toBe(1);
    expect(dirty.decision.publish!.reason).toMatch(/uncommitted changes/);
    commitAll(dir, 'stray');
    await put(dir, 'next/unit.xml', junit({ 'app.A::one': 'fail' }));
    const blocked = await runJson(dir, '2.0.3', ['--publish']);
    expect(blocked.res.code).toBe(1);
    expect(blocked.decision.publish).toMatchObject({ status: 'refused', reason: 'the release is BLOCKED' });
    expect(blocked.res.stderr).toContain('NOT PUBLISHED: the release is BLOCKED');
    expect(await readFile(join(dir, 'published.txt'), 'utf8')).toBe('');
    const h = await cliJson<{ actions: { result: string; toVersion: string }[] }>(dir, ['history']);
    expect(h.actions.map((a) => [a.toVersion, a.result])).toEqual([['2.0.0', 'failed']]);
    expect(existsSync(join(dir, 'published.txt'))).toBe(true);
  });
});
