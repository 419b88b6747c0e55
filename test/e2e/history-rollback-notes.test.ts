/**
 * Last good release, rollback and release notes through the real CLI: `last-good` names the newest
 * READY run, `rollback` runs the configured steps towards it with the target exported and stops at
 * the first failure, and `notes` writes Markdown from a recorded run.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NODE, removeProject, shq, daysFromNow } from './helpers.js';
import { cliJson, commitAll, git, historyCmd, junit, makeGitProject, metricsFile, put, runJson, sg, type HistoryJson } from './history-helpers.js';

const SOON = daysFromNow(30);

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(files: Record<string, string>) {
  const p = await makeGitProject(files);
  dirs.push(p.dir);
  return p;
}

let server: Server;
let healthUrl: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 404;
    res.end(req.url === '/health' ? 'ok' : 'missing');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  healthUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A step command that appends the rollback target it was given to `file`. */
const recordStep = (file: string) =>
  `${shq(NODE)} -e ${shq(`require('fs').appendFileSync(${JSON.stringify(file)}, process.env.SHIPGATE_ROLLBACK_VERSION + ' ' + process.env.SHIPGATE_ROLLBACK_COMMIT + '\\n')`)}`;

const rollbackConfig = () => `name: rollback-demo
gates:
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
rollback:
  - title: Deploy previous
    run: ${recordStep('step1.txt')}
  - title: Check health
    probe: { get: "${healthUrl}", status: 200 }
  - title: Switch traffic
    run: node -e "process.exit(Number(process.env.FAIL_SWITCH || 0))"
  - title: Announce
    run: ${recordStep('step4.txt')}
`;

describe('last-good and rollback', () => {
  it('last-good names the newest READY, full, clean run; rollback goes to the newest such run of another version, records itself, and stops at the first failure', async () => {
    const { dir, sha: good } = await project({ 'shipgate.yml': rollbackConfig(), 'next/unit.xml': junit({ 'app.Calc::adds': 'pass' }) });

    const none = await sg(dir, ['last-good']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no READY run recorded for rollback-demo');
    // Nothing recorded: nothing to roll back from or to. Refused like a blocked release.
    const nothingToRollTo = await sg(dir, ['rollback']);
    expect(nothingToRollTo.code).toBe(1);
    expect(nothingToRollTo.stderr).toContain('rollback refused: no READY, full, clean run recorded for rollback-demo');
    expect(existsSync(join(dir, 'step1.txt'))).toBe(false);

    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    const current = commitAll(dir, 'feat: second release');
    expect((await runJson(dir, '1.1.0')).res.code).toBe(0);
    // Only 1.1.0 and 1.0.0 are READY, full and clean: a partial READY run and a READY run on a
    // dirty tree are never targets, and a BLOCKED run never is.
    commitAll(dir, 'feat: risky change');
    expect((await runJson(dir, '0.9.0', ['--only', 'unit'])).res.code).toBe(0);
    await put(dir, 'local-edit.txt', 'not committed\n');
    expect((await runJson(dir, '0.8.0')).decision.tree).toMatchObject({ dirty: true, files: 1 });
    await put(dir, 'local-edit.txt', '');
    git(dir, 'add', 'local-edit.txt');
    commitAll(dir, 'chore: commit the edit');
    await put(dir, 'next/unit.xml', junit({ 'app.Calc::adds': 'fail' }));
    expect((await runJson(dir, '1.2.0')).res.code).toBe(1);

    const lg = await cliJson<{ version: string; commit: string; branch: string; runId: string }>(dir, ['last-good']);
    expect(lg).toMatchObject({ version: '1.1.0', commit: current, branch: 'main' });
    const runs = (await cliJson<HistoryJson>(dir, ['history'])).runs;
    expect(lg.runId).toBe(runs.find((r) => r.version === '1.1.0')!.id);
    const text = await sg(dir, ['last-good']);
    expect(text.stdout).toMatch(new RegExp(`^1\\.1\\.0 ${current} \\(run ${lg.runId}, main, `));
    expect((await sg(dir, ['last-good', '--branch', 'release/2'])).code).toBe(2);
    // history says which runs can never be last-good.
    const listed = (await sg(dir, ['history'])).stdout;
    expect(listed).toMatch(/0\.9\.0 .*READY\s+PARTIAL/);
    expect(listed).toMatch(/0\.8\.0 .*READY\s+DIRTY \(1 files\)/);

    const target = runs.find((r) => r.version === '1.0.0')!;
    const done = await sg(dir, ['rollback', '--by', 'oncall-ann']);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toContain(`Rolling back rollback-demo from 1.1.0 to 1.0.0 @ ${good.slice(0, 12)} (READY run ${target.id}) — by oncall-ann`);
    expect(done.stdout).toMatch(/OK\s+2\. Check health/);
    expect(done.stdout).toMatch(/ROLLBACK DONE: 4 steps passed in .+\. Recorded as rollback-/);
    expect(await readFile(join(dir, 'step1.txt'), 'utf8')).toBe(`1.0.0 ${good}\n`);
    expect(await readFile(join(dir, 'step4.txt'), 'utf8')).toBe(`1.0.0 ${good}\n`);

    const failed = await sg(dir, ['rollback', '--from', '1.0.0', '--by', 'oncall-ann'], { FAIL_SWITCH: '3' });
    expect(failed.code).toBe(1);
    // From 1.0.0 the newest READY run of another version is 1.1.0.
    expect(failed.stdout).toContain(`Rolling back rollback-demo from 1.0.0 to 1.1.0 @ ${current.slice(0, 12)}`);
    expect(failed.stdout).toMatch(/FAIL\s+3\. Switch traffic/);
    expect(failed.stdout).toContain('ROLLBACK FAILED at step 3 (Switch traffic); later steps did not run.');
    expect(failed.stdout).toContain('command exit code: expected 0, got 3');
    expect(await readFile(join(dir, 'step4.txt'), 'utf8')).toBe(`1.0.0 ${good}\n`);

    // Both are recorded: who, from, to, each step, result, duration; `history` and `show` show them.
    const h = await cliJson<HistoryJson & { actions: { id: string; kind: string; by: string; fromVersion: string; toVersion: string; result: string; forced: boolean; durationMs: number; steps: { ok: boolean }[] }[] }>(dir, ['history']);
    expect(h.actions.map((a) => [a.kind, a.by, a.fromVersion, a.toVersion, a.result, a.steps.map((x) => x.ok)])).toEqual([
      ['rollback', 'oncall-ann', '1.0.0', '1.1.0', 'failed', [true, true, false]],
      ['rollback', 'oncall-ann', '1.1.0', '1.0.0', 'done', [true, true, true, true]],
    ]);
    expect(h.actions.every((a) => typeof a.durationMs === 'number' && !a.forced)).toBe(true);
    expect((await sg(dir, ['history'])).stdout).toMatch(/Rollbacks and publishes:[\s\S]*rollback\s+oncall-ann\s+1\.0\.0\s+1\.1\.0\s+FAILED\s+2\/3/);
    const shown = await sg(dir, ['show', h.actions[0]!.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Rollback ${h.actions[0]!.id}: 1.0.0 → 1.1.0`);
    expect(shown.stdout).toMatch(/FAIL 3\. Switch traffic .*command exit code: expected 0, got 3/);
  });

  it('rollback --to VERSION needs a READY, full, clean run of that version, or --force (recorded as forced); no steps is a usage error', async () => {
    const { dir, sha } = await project({ 'shipgate.yml': rollbackConfig(), 'next/unit.xml': junit({ 'app.Calc::adds': 'pass' }) });
    expect((await runJson(dir, '2.0.0')).res.code).toBe(0);
    commitAll(dir, 'next');
    expect((await runJson(dir, '2.1.0')).res.code).toBe(0);
    const known = await sg(dir, ['rollback', '--to', '2.0.0']);
    expect(known.code, known.stdout).toBe(0);
    // The current release itself is no rollback.
    const same = await sg(dir, ['rollback', '--to', '2.1.0']);
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('--to 2.1.0 is the current release itself');
    // A version shipgate never saw pass: refused, and nothing ran.
    const unknown = await sg(dir, ['rollback', '--to', '1.9.9']);
    expect(unknown.code, unknown.stdout).toBe(1);
    expect(unknown.stderr).toContain('version 1.9.9 has no READY, full, clean run recorded for rollback-demo: shipgate cannot vouch for it [ROLLBACK_REFUSED]');
    expect(await readFile(join(dir, 'step1.txt'), 'utf8')).toBe(`2.0.0 ${sha}\n`);
    const forced = await sg(dir, ['rollback', '--to', '1.9.9', '--force']);
    expect(forced.code, forced.stdout).toBe(0);
    expect(forced.stdout).toContain('(FORCED: no READY, full, clean run of this version is recorded)');
    expect(await readFile(join(dir, 'step1.txt'), 'utf8')).toBe(`2.0.0 ${sha}\n1.9.9 \n`);
    const h = await cliJson<{ actions: { toVersion: string; forced: boolean }[] }>(dir, ['history']);
    expect(h.actions.map((a) => [a.toVersion, a.forced])).toEqual([
      ['1.9.9', true],
      ['2.0.0', false],
    ]);

    await put(dir, 'shipgate.yml', 'name: rollback-demo\ngates:\n  unit:\n    run: node -e "0"\n');
    const noSteps = await sg(dir, ['rollback']);
    expect(noSteps.code).toBe(2);
    expect(noSteps.stderr).toContain('no `rollback:` steps');
  });
});

describe('release notes', () => {
  it('writes Markdown: version, decision, gates with counts, requirements, flaky and quarantined tests, metric changes, approvals and commits since the previous READY run', async () => {
    const { dir, sha: first } = await project({
      'shipgate.yml': `name: notes-demo
baseline: { min-runs: 1 }
quarantine:
  - { tests: "app.Search::ranks", reason: "ISSUE-42", until: ${SOON} }
gates:
  unit:
    title: Unit tests
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
  bench:
    run: ${historyCmd('emit.mjs', 'metrics.json')}
    reports: [reports/metrics.json]
    expect: ["metric.parse_ms within baseline"]
  signoff:
    manual: { checklist: ["Staging checked"], evidence: optional }
requirements:
  api-contract: { title: API contract holds, tests: ["app.Api::*"] }
`,
      'next/unit.xml': junit({ 'app.Api::lists': 'pass', 'app.Search::ranks': 'pass' }),
      'next/metrics.json': metricsFile('parse_ms', 100, 'ms'),
    });
    // Versions come from tags so that `approve` binds to them without a --version flag.
    git(dir, 'tag', '1.0.0');
    expect((await sg(dir, ['approve', 'signoff', '--by', 'alice', '--note', 'staging ok'])).code).toBe(0);
    const r1 = await runJson(dir, '1.0.0');
    expect(r1.res.code, r1.res.stderr).toBe(0);

    await put(dir, 'src/search.txt', 'search\n');
    commitAll(dir, 'feat: add search');
    commitAll(dir, 'fix: escape titles');
    await put(dir, 'next/unit.xml', junit({ 'app.Api::lists': 'fail', 'app.Search::ranks': 'pass' }));
    const r2 = await runJson(dir, '1.1.0');
    expect(r2.res.code).toBe(1);

    const last = commitAll(dir, 'docs: update readme');
    git(dir, 'tag', '1.2.0');
    expect((await sg(dir, ['approve', 'signoff', '--by', 'bob', '--evidence', 'https://staging.example/1.2.0'])).code).toBe(0);
    await put(dir, 'next/unit.xml', junit({ 'app.Api::lists': 'pass', 'app.Search::ranks': 'fail', 'app.Net::connects': 'flaky' }));
    await put(dir, 'next/metrics.json', metricsFile('parse_ms', 105, 'ms'));
    const r3 = await runJson(dir, '1.2.0');
    expect(r3.res.code, r3.res.stderr).toBe(0);

    const notes = await sg(dir, ['notes']);
    expect(notes.code, notes.stderr).toBe(0);
    const md = notes.stdout;
    expect(md).toMatch(/^# notes-demo 1\.2\.0\n/);
    expect(md).toContain(`**Release gate: RELEASE READY** — run \`${r3.decision.runId}\`, commit \`${last.slice(0, 12)}\` on \`main\``);
    expect(md).toMatch(/^\| unit — Unit tests \| PASS \| .*3.*\|$/m);
    expect(md).toMatch(/^\| signoff \| PASS \|/m);
    expect(md).toContain('| API contract holds | PASS | unit: 1/1 |');
    expect(md).toContain('## Flaky and quarantined tests');
    expect(md).toContain('- 1 test passed only after a rerun or retry.');
    expect(md).toMatch(/- newly flaky: app\.Net::connects .* — unit/);
    expect(md).toContain('- QUARANTINED, failed without blocking: app.Search::ranks (unit)');
    expect(md).toMatch(/^\| (metric\.)?parse_ms \| 105 ms \| 100 ms \| \+5\.0% \|$/m);
    expect(md).toContain('## Sign-offs');
    expect(md).toMatch(/- \*\*signoff\*\* approved by bob on \d{4}-\d\d-\d\d — evidence: https:\/\/staging\.example\/1\.2\.0/);
    expect(md).not.toContain('approved by alice');
    expect(md).toContain(`Since 1.0.0 (\`${first.slice(0, 12)}\`):`);
    const changes = md.slice(md.indexOf('## Changes'));
    expect(changes).toContain('- docs: update readme\n- fix: escape titles\n- feat: add search\n');
    expect(changes).not.toContain('initial import');

    // An earlier run by id, into a file.
    const older = await sg(dir, ['notes', r2.decision.runId, '--out', 'notes/1.1.0.md']);
    expect(older.code, older.stderr).toBe(0);
    expect(older.stdout).toBe('');
    const md2 = await readFile(join(dir, 'notes/1.1.0.md'), 'utf8');
    expect(md2).toMatch(/^# notes-demo 1\.1\.0\n/);
    expect(md2).toContain('**Release gate: RELEASE BLOCKED**');
    expect(md2).toContain('Blocked because:');
    expect(md2).toContain('| API contract holds | FAIL |');
    expect(md2).toContain('- fix: escape titles\n- feat: add search\n');

    const unknown = await sg(dir, ['notes', 'zzz']);
    expect(unknown.code).toBe(2);
  });

  it('without any finished run, notes is a usage error that says to run first', async () => {
    const { dir } = await project({ 'shipgate.yml': 'name: notes-empty\ngates:\n  a:\n    run: node -e "0"\n' });
    const res = await sg(dir, ['notes']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no finished full run recorded for notes-empty');
  });
});
