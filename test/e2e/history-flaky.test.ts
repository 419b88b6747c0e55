/**
 * Flaky tests and quarantine through the real CLI: flakiness within a run (JUnit flakyFailure,
 * a retried gate) and across runs (pass and fail on one commit), `shipgate flaky`, and quarantine
 * from the config and from the store (`shipgate quarantine add|remove|list`), including expiry.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decide/types.js';
import { gate, removeProject, daysFromNow } from './helpers.js';
import { cliJson, commitAll, historyCmd, junit, makeGitProject, put, runJson, sg } from './history-helpers.js';

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

interface FlakyJson {
  project: string;
  window: number;
  tests: {
    testId: string;
    runs: number;
    flips: number;
    flipRate: number;
    commits: string[];
    flakyInRun: number;
    lastSeen: string;
    flaky: boolean;
  }[];
}

const config = (extra = '') => `name: flaky-demo
gates:
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
${extra}`;

const allWarnings = (d: Decision) => d.warnings.join('\n');

describe('flaky tests', () => {
  it('a JUnit flakyFailure marks the test flaky in the run: a new-flakiness warning, and `shipgate flaky` lists it', async () => {
    const { dir } = await project({
      'shipgate.yml': config(),
      'next/unit.xml': junit({ 'app.Net::connects': 'flaky', 'app.Calc::adds': 'pass' }),
    });
    const first = await runJson(dir, '1.0.0');
    expect(first.res.code, first.res.stderr).toBe(0);
    expect(gate(first.decision, 'unit').counts).toMatchObject({ total: 2, passed: 2, failed: 0, flaky: 1 });
    expect(allWarnings(first.decision)).toMatch(/newly flaky: app\.Net::connects \(failed, then passed on rerun/);
    expect(first.res.stderr).toContain('newly flaky: app.Net::connects');

    const listed = await cliJson<FlakyJson>(dir, ['flaky']);
    expect(listed.tests.map((t) => t.testId)).toEqual(['app.Net::connects']);
    expect(listed.tests[0]).toMatchObject({ flakyInRun: 1, flaky: true, runs: 1 });

    // Known flakiness is not news: the second flaky run does not warn again.
    const second = await runJson(dir, '1.0.1');
    expect(second.res.code).toBe(0);
    expect(allWarnings(second.decision)).not.toContain('newly flaky');
    expect((await cliJson<FlakyJson>(dir, ['flaky'])).tests[0]).toMatchObject({ testId: 'app.Net::connects', flakyInRun: 2, runs: 2 });

    const text = await sg(dir, ['flaky']);
    expect(text.stdout).toMatch(/^TEST\s+RUNS\s+FLIP RATE\s+RETRIED\s+PASS\+FAIL ON COMMIT\s+LAST SEEN$/m);
    expect(text.stdout).toMatch(/app\.Net::connects\s+2\s+0% \(0 flips\)\s+2\s+-\s+\d{4}-\d\d-\d\d /);
  });

  it('a gate retried with `retry` whose test failed then passed marks it flaky, and history shows the retry', async () => {
    const { dir } = await project({
      'shipgate.yml': `name: flaky-retry
gates:
  net:
    run: ${historyCmd('fail-once.mjs', 'net.state', 'reports/net.xml', 'app.Net::reconnects')}
    reports: [reports/net.xml]
    retry: { attempts: 2 }
`,
    });
    const { res, decision } = await runJson(dir, '1.0.0');
    expect(res.code, res.stderr).toBe(0);
    const g = gate(decision, 'net');
    expect(g).toMatchObject({ status: 'pass', attempts: 2 });
    expect(g.counts).toMatchObject({ total: 1, passed: 1, flaky: 1 });
    expect(g.warnings.join('\n')).toContain('passed on attempt 2 of 2');
    expect(allWarnings(decision)).toContain('newly flaky: app.Net::reconnects');

    const listed = await cliJson<FlakyJson>(dir, ['flaky']);
    expect(listed.tests).toHaveLength(1);
    expect(listed.tests[0]).toMatchObject({ testId: 'app.Net::reconnects', flakyInRun: 1, flaky: true });
    const history = await sg(dir, ['history']);
    expect(history.stdout).toMatch(/1\.0\.0\s+\S+\s+main\s+READY\s+-\s+\S+( \S+)?\s+1$/m);
  });

  it('across runs: the same test passing and failing on one commit is flaky (warned once, listed with the commit); failing on a new commit is not', async () => {
    const { dir, sha } = await project({
      'shipgate.yml': config(),
      'next/unit.xml': junit({ 'app.Cache::evicts': 'pass', 'app.Db::migrates': 'fail' }),
    });
    const r1 = await runJson(dir, '1.0.0');
    expect(r1.res.code).toBe(1);
    expect(allWarnings(r1.decision)).not.toContain('newly flaky');

    // Same commit: evicts now fails. Db::migrates keeps failing: consistent, not flaky.
    await put(dir, 'next/unit.xml', junit({ 'app.Cache::evicts': 'fail', 'app.Db::migrates': 'fail' }));
    const r2 = await runJson(dir, '1.0.0');
    expect(r2.res.code).toBe(1);
    expect(allWarnings(r2.decision)).toMatch(new RegExp(`newly flaky: app\\.Cache::evicts \\(failed now but passed on the same commit ${sha.slice(0, 12)}`));
    expect(allWarnings(r2.decision)).not.toContain('app.Db::migrates (');

    // A new commit where migrates passes: a fix, not flakiness.
    const fixed = commitAll(dir, 'fix migrations');
    await put(dir, 'next/unit.xml', junit({ 'app.Cache::evicts': 'pass', 'app.Db::migrates': 'pass' }));
    const r3 = await runJson(dir, '1.0.1');
    expect(r3.res.code, r3.res.stderr).toBe(0);
    expect(r3.decision.commit).toBe(fixed);

    const listed = await cliJson<FlakyJson>(dir, ['flaky']);
    expect(listed.tests.map((t) => t.testId)).toEqual(['app.Cache::evicts']);
    const evicts = listed.tests[0]!;
    expect(evicts).toMatchObject({ commits: [sha], runs: 3, flips: 2, flipRate: 1, flakyInRun: 0, flaky: true });
    expect(evicts.lastSeen).toBe(r3.decision.startedAt);
  });

  it('with no flaky test, `shipgate flaky` says so', async () => {
    const { dir } = await project({ 'shipgate.yml': config(), 'next/unit.xml': junit({ 'app.Calc::adds': 'pass' }) });
    expect((await runJson(dir, '1.0.0')).res.code).toBe(0);
    const res = await sg(dir, ['flaky']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('No flaky tests in the last 50 runs of flaky-demo');
  });
});

describe('quarantine', () => {
  it('a quarantined failing test from the config still runs and is recorded, does not block, and is counted as QUARANTINED', async () => {
    const { dir } = await project({
      'shipgate.yml': config(`quarantine:
  - { tests: "app.Search::ranks", reason: "ISSUE-42 ranking is nondeterministic", until: ${SOON} }
`),
      'next/unit.xml': junit({ 'app.Search::ranks': 'fail', 'app.Calc::adds': 'pass' }),
    });
    const res = await sg(dir, ['run', '1.0.0']);
    expect(res.code, res.stdout).toBe(0);
    expect(res.stdout).toContain('RESULT: RELEASE READY');
    expect(res.stdout).toMatch(/unit .*1 QUARANTINED/);
    expect(res.stdout).toContain('QUARANTINED app.Search::ranks [failed]');

    const [run] = (await cliJson<{ runs: { id: string }[] }>(dir, ['history'])).runs;
    const shown = await cliJson<{ decision: Decision }>(dir, ['show', run!.id]);
    const g = gate(shown.decision, 'unit');
    expect(g.counts).toMatchObject({ total: 2, failed: 0, quarantined: 1 });
    expect(g.failingTests).toEqual([expect.objectContaining({ id: 'app.Search::ranks', status: 'failed', quarantined: true })]);

    const list = await cliJson<{ quarantine: { id: string; tests: string[]; until?: string }[] }>(dir, ['quarantine', 'list']);
    expect(list.quarantine).toEqual([expect.objectContaining({ id: '(config)', tests: ['app.Search::ranks'], until: SOON })]);
  });

  it('once its `until` has passed, the quarantined test blocks again and the summary says the quarantine expired', async () => {
    const { dir } = await project({
      'shipgate.yml': config(`quarantine:
  - { tests: "app.Search::*", reason: "ISSUE-42", until: 2020-01-31 }
`),
      'next/unit.xml': junit({ 'app.Search::ranks': 'fail', 'app.Calc::adds': 'pass' }),
    });
    const { res, decision } = await runJson(dir, '1.0.0');
    expect(res.code).toBe(1);
    expect(decision.result).toBe('BLOCKED');
    const g = gate(decision, 'unit');
    expect(g.status).toBe('fail');
    expect(g.counts).toMatchObject({ failed: 1, quarantined: 0 });
    expect(g.warnings.join('\n')).toContain('quarantine of app.Search::ranks expired on 2020-01-31; its failure blocks again');
    expect(res.stderr).toContain('quarantine of app.Search::ranks expired on 2020-01-31');
  });

  it('an `until` of today still exempts: the quarantine runs through that day (UTC)', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const { dir } = await project({
      'shipgate.yml': config(`quarantine:
  - { tests: "app.Search::ranks", reason: "ISSUE-42", until: ${today} }
`),
      'next/unit.xml': junit({ 'app.Search::ranks': 'fail', 'app.Calc::adds': 'pass' }),
    });
    const { res, decision } = await runJson(dir, '1.0.0');
    // Should the run itself start after midnight UTC, `today` is yesterday for it and must block.
    if (decision.startedAt.slice(0, 10) === today) {
      expect(res.code, res.stderr).toBe(0);
      expect(gate(decision, 'unit').counts).toMatchObject({ failed: 0, quarantined: 1 });
    } else {
      expect(res.code).toBe(1);
    }
  });

  it('`quarantine add|list|remove` manage store entries that the next run honours', async () => {
    const { dir } = await project({
      'shipgate.yml': config(),
      'next/unit.xml': junit({ 'app.Search::ranks': 'fail', 'app.Calc::adds': 'pass' }),
    });
    expect((await runJson(dir, '1.0.0')).res.code).toBe(1);

    const added = await sg(dir, ['quarantine', 'add', 'app.Search::ranks', '--reason', 'ISSUE-7', '--until', SOON, '--by', 'carol']);
    expect(added.code, added.stderr).toBe(0);
    const list = await cliJson<{ quarantine: { id: string; tests: string[]; reason: string; until?: string; by?: string }[] }>(dir, ['quarantine', 'list']);
    expect(list.quarantine).toEqual([expect.objectContaining({ tests: ['app.Search::ranks'], reason: 'ISSUE-7', until: SOON, by: 'carol' })]);
    expect(added.stdout).toContain(`entry ${list.quarantine[0]!.id}`);
    const listText = await sg(dir, ['quarantine', 'list']);
    expect(listText.stdout).toMatch(new RegExp(`app\\.Search::ranks\\s+${SOON}\\s+ISSUE-7`));

    const quarantined = await runJson(dir, '1.0.1');
    expect(quarantined.res.code, quarantined.res.stderr).toBe(0);
    expect(gate(quarantined.decision, 'unit').counts?.quarantined).toBe(1);

    const removed = await sg(dir, ['quarantine', 'remove', list.quarantine[0]!.id]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await cliJson<{ quarantine: unknown[] }>(dir, ['quarantine', 'list'])).quarantine).toEqual([]);
    expect((await runJson(dir, '1.0.2')).res.code).toBe(1);

    // Removing by pattern works too.
    expect((await sg(dir, ['quarantine', 'add', 'app.Search::*', '--reason', 'ISSUE-8', '--until', SOON])).code).toBe(0);
    expect((await runJson(dir, '1.0.3')).res.code).toBe(0);
    const byPattern = await sg(dir, ['quarantine', 'remove', 'app.Search::*']);
    expect(byPattern.code).toBe(0);
    expect(byPattern.stdout).toContain('1 entry changed');
    expect((await runJson(dir, '1.0.4')).res.code).toBe(1);
  });

  it('quarantine add without a reason, without an end, too far away, for every test, or with an unreadable date, and remove of an unknown entry, are usage errors', async () => {
    const { dir } = await project({ 'shipgate.yml': config(), 'next/unit.xml': junit({ 'app.Calc::adds': 'pass' }) });
    const noReason = await sg(dir, ['quarantine', 'add', 'app.Calc::adds', '--until', SOON]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');
    const noEnd = await sg(dir, ['quarantine', 'add', 'app.Calc::adds', '--reason', 'x']);
    expect(noEnd.code).toBe(2);
    expect(noEnd.stderr).toContain('needs --until');
    const far = await sg(dir, ['quarantine', 'add', 'app.Calc::adds', '--reason', 'x', '--until', daysFromNow(120)]);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain('is more than 90 days away');
    for (const everything of ['*', '**', '*::*']) {
      const all = await sg(dir, ['quarantine', 'add', everything, '--reason', 'x', '--until', SOON]);
      expect(all.code, everything).toBe(2);
      expect(all.stderr).toContain('matches every test');
    }
    const badDate = await sg(dir, ['quarantine', 'add', 'app.Calc::adds', '--reason', 'x', '--until', '2026-02-30']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('is not a date');
    const unknown = await sg(dir, ['quarantine', 'remove', 'nothing-like-this']);
    expect(unknown.code).toBe(2);
    expect((await cliJson<{ quarantine: unknown[] }>(dir, ['quarantine', 'list'])).quarantine).toEqual([]);
  });
});
