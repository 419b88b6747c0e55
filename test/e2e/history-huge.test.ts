/**
 * A big suite through the real CLI: tests stream from the report into the tally, the decision
 * keeps only what it needs, and history stores every test as a compact log. Sizes are modest (a
 * few thousand tests, above the sizes where the old code looked up every test's history) so the
 * rules are exercised, not the clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decide/types.js';
import { gate, removeProject } from './helpers.js';
import { cliJson, historyCmd, junit, makeGitProject, put, runJson, type TestOutcome } from './history-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(files: Record<string, string>) {
  const p = await makeGitProject(files);
  dirs.push(p.dir);
  return p;
}

/** `n` passing tests `big.Suite::case <i>`, with some overridden. */
function suite(n: number, overrides: Record<string, TestOutcome> = {}): string {
  const tests: Record<string, TestOutcome> = {};
  for (let i = 0; i < n; i++) tests[`big.Suite::case ${i}`] = 'pass';
  return junit({ ...tests, ...overrides });
}

const config = (extra = '') => `name: huge-demo
gates:
  unit:
    run: ${historyCmd('emit.mjs', 'unit.xml')}
    reports: [reports/unit.xml]
${extra}`;

const warnings = (d: Decision) => d.warnings.join('\n');

describe('a big suite', () => {
  it('a test that passes now after failing on this commit is newly flaky, among 6,000 passing tests', async () => {
    const { dir, sha } = await project({ 'shipgate.yml': config(), 'next/unit.xml': suite(6000, { 'big.Suite::case 4321': 'fail' }) });
    const r1 = await runJson(dir, '1.0.0');
    expect(r1.res.code).toBe(1);
    expect(gate(r1.decision, 'unit').counts).toMatchObject({ total: 6000, passed: 5999, failed: 1 });
    expect(gate(r1.decision, 'unit').failingTests.map((t) => t.id)).toEqual(['big.Suite::case 4321']);

    await put(dir, 'next/unit.xml', suite(6000));
    const r2 = await runJson(dir, '1.0.0');
    expect(r2.res.code, r2.res.stderr).toBe(0);
    expect(warnings(r2.decision)).toMatch(new RegExp(`newly flaky: big\\.Suite::case 4321 \\(passed now but failed on the same commit ${sha.slice(0, 12)} in run ${r1.decision.runId}`));
    // Only that one: no other passing test is news.
    expect(warnings(r2.decision).match(/newly flaky/g)).toHaveLength(1);

    // `shipgate flaky` reads the logs: the test passed and failed on one commit.
    const listed = await cliJson<{ tests: { testId: string; runs: number; commits: string[] }[] }>(dir, ['flaky']);
    expect(listed.tests).toEqual([expect.objectContaining({ testId: 'big.Suite::case 4321', runs: 2, commits: [sha] })]);
  });

  it('a requirement whose pattern matches 200 failing tests names 100 of them, counts all 200, and blocks', async () => {
    const failing: Record<string, TestOutcome> = {};
    for (let i = 0; i < 200; i++) failing[`big.Suite::case ${i * 10}`] = 'fail';
    const { dir } = await project({
      'shipgate.yml': config(`requirements:
  big:
    title: The big suite passes
    tests: ["big.Suite::*"]
  one:
    title: One test passes
    tests: ["big.Suite::case 1"]
`),
      'next/unit.xml': suite(3000, failing),
    });
    const { res, decision } = await runJson(dir, '1.0.0');
    expect(res.code).toBe(1);
    const big = decision.requirements.find((r) => r.id === 'big')!;
    expect(big.status).toBe('fail');
    expect(big.failed).toHaveLength(100);
    expect(big.truncated).toEqual({ failed: 200, notRun: 0, unproven: 0 });
    expect(big.evidence).toEqual([{ gate: 'unit', tests: 3000, passed: 2800 }]);
    // Its honest neighbour: a requirement on one passing test passes, whole.
    expect(decision.requirements.find((r) => r.id === 'one')).toMatchObject({ status: 'pass', evidence: [{ gate: 'unit', tests: 1, passed: 1 }] });
    expect(decision.requirements.find((r) => r.id === 'one')?.truncated).toBeUndefined();
    // The gate's own failing tests are all listed: the decision keeps every failing test.
    expect(gate(decision, 'unit').failingTests).toHaveLength(200);
    expect(decision.blockers.join('\n')).toMatch(/big/);
  });

  it('a quarantined failing test among 5,000 passing ones is counted as quarantined and does not block', async () => {
    // A quarantine is a short excuse: at most defaults.quarantine-max (90 days) ahead.
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const { dir } = await project({
      'shipgate.yml': config(`quarantine:
  - { tests: "big.Suite::case 77", reason: "ISSUE-9", until: ${until} }
`),
      'next/unit.xml': suite(5000, { 'big.Suite::case 77': 'fail', 'big.Suite::case 78': 'flaky' }),
    });
    const { res, decision } = await runJson(dir, '1.0.0');
    expect(res.code, res.stderr).toBe(0);
    const g = gate(decision, 'unit');
    expect(g.counts).toEqual({ total: 5000, passed: 4999, failed: 0, errors: 0, skipped: 0, flaky: 1, quarantined: 1 });
    expect(g.failingTests).toEqual([expect.objectContaining({ id: 'big.Suite::case 77', quarantined: true })]);
    expect(warnings(decision)).toContain('newly flaky: big.Suite::case 78');
  });
});
