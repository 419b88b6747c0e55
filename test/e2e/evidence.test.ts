/**
 * Evidence through the real CLI, written by real producers on this machine (node:test with its
 * JUnit and TAP reporters, pytest, vitest): counts in the summary, failing tests in the diagnostics,
 * and fail-closed handling of reports that are missing, empty, truncated or contradict the exit code.
 */
import { utimesSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, fixture, gate, makeProject, parseDecision, q, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeProject(files);
  dirs.push(dir);
  return dir;
}

async function run(dir: string, ...args: string[]) {
  const res = await runCli(['run', '1.0.0', '--no-history', '--json', ...args], { cwd: dir });
  // Human output goes to stderr with --json; stdout must be only the decision.
  return { ...res, decision: parseDecision(res.stdout), human: res.stderr };
}

const NODE_TESTS_MIXED = `import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
describe('api', () => {
  test('adds numbers', () => assert.equal(1 + 1, 2));
  test('rejects bad input', () => assert.equal(1, 2, 'bad input was accepted'));
});
test('parses input', () => assert.equal('a', 'a'));
test('talks to the network', { skip: 'no network here' }, () => {});
`;
const NODE_TESTS_PASSING = `import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
describe('api', () => {
  test('adds numbers', () => assert.equal(1 + 1, 2));
  test('rejects bad input', () => assert.throws(() => JSON.parse('{')));
});
test('parses input', () => assert.equal('a', 'a'));
`;

const nodeGate = (reporter: 'junit' | 'tap', out: string, extra = '') =>
  `    run: mkdir -p reports && node --test --test-reporter=${reporter} --test-reporter-destination=${out} test/math.test.mjs\n    reports: [${out}]\n${extra}`;

describe('node:test reports', () => {
  it.each([
    ['junit', 'reports/unit.xml'],
    ['tap', 'reports/unit.tap'],
  ] as const)('%s with a failing and a skipped test → BLOCKED with counts and the failing test named', async (reporter, out) => {
    const dir = await project({ 'test/math.test.mjs': NODE_TESTS_MIXED, 'shipgate.yml': `gates:\n  unit:\n${nodeGate(reporter, out)}` });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    expect(res.decision.result).toBe('BLOCKED');
    const g = gate(res.decision, 'unit');
    expect(g.status).toBe('fail');
    expect(g.counts).toMatchObject({ total: 4, passed: 2, failed: 1, skipped: 1 });
    expect(res.human).toMatch(/unit\s+\(2\/3, 1 failed, 1 skipped\)\s+: FAIL/);
    expect(res.human).toMatch(/failing tests \(1\):\n\s+✗ \S.*rejects bad input \[failed\]\n\s+bad input was accepted/);
    expect(res.human).toContain('RESULT: RELEASE BLOCKED');
  });

  it.each([
    ['junit', 'reports/unit.xml'],
    ['tap', 'reports/unit.tap'],
  ] as const)('%s all passing → READY with counts', async (reporter, out) => {
    const dir = await project({ 'test/math.test.mjs': NODE_TESTS_PASSING, 'shipgate.yml': `gates:\n  unit:\n${nodeGate(reporter, out)}` });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(0);
    expect(gate(res.decision, 'unit').counts).toMatchObject({ total: 3, passed: 3, failed: 0, skipped: 0 });
    expect(res.human).toMatch(/unit\s+\(3\/3\)\s+: PASS/);
    expect(res.human).toContain('RESULT: RELEASE READY');
  });

  it('the same node:test test gets the same id from the JUnit and the TAP reporter', async () => {
    const dir = await project({
      'test/math.test.mjs': NODE_TESTS_MIXED,
      'shipgate.yml': `gates:\n  junit:\n${nodeGate('junit', 'reports/unit.xml')}  tap:\n${nodeGate('tap', 'reports/unit.tap')}`,
    });
    const res = await run(dir);
    const ids = (id: string) => gate(res.decision, id).failingTests.map((t) => t.id);
    expect(ids('tap')).toEqual(['api::rejects bad input']);
    expect(ids('junit')).toEqual(ids('tap'));
  });
});

describe('fail closed on evidence', () => {
  it('a command that exits 0 while its JUnit report lists a failure → BLOCKED', async () => {
    const dir = await project({
      'shipgate.yml': `gates:\n  unit:\n    run: mkdir -p reports && cp ${q(fixture('junit-one-failure.xml'))} reports/unit.xml\n    reports: [reports/unit.xml]\n`,
    });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const g = gate(res.decision, 'unit');
    expect(g.status).toBe('fail');
    expect(g.counts).toMatchObject({ total: 3, passed: 2, failed: 1 });
    expect(g.failingTests.map((t) => t.id)).toEqual(['checkout.CartTest::totals_with_tax']);
    expect(res.human).toContain('totals_with_tax');
    expect(res.human).toContain('expected 10.80 but was 10.00');
  });

  it('a declared report that is missing → BLOCKED naming the file', async () => {
    const dir = await project({ 'shipgate.yml': `gates:\n  unit:\n    run: echo "all good, honest"\n    reports: [reports/never-written.xml]\n` });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    expect(gate(res.decision, 'unit').status).toBe('fail');
    expect(res.human).toContain('reports/never-written.xml');
    expect(res.human).toContain('EVIDENCE_MISSING');
  });

  it('a green report left over from an earlier run never stands in for one this run did not write', async () => {
    const green = '<testsuite name="s"><testcase classname="s" name="ok"/></testsuite>';
    const dir = await project({
      'shipgate.yml': `gates:\n  unit:\n    run: echo "tests crashed before writing the report"\n    reports: [reports/unit.xml]\n`,
      'reports/unit.xml': green,
    });
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'reports/unit.xml'), old, old);
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    expect(gate(res.decision, 'unit').status).toBe('fail');
    expect(res.human).toContain('EVIDENCE_STALE');
  });

  it('a reports-only gate whose need ran does not accept a report older than the run', async () => {
    const dir = await project({
      'shipgate.yml': `gates:\n  unit:\n    run: echo "coverage not written"\n  coverage:\n    needs: [unit]\n    reports: [coverage/lcov.info]\n`,
      'coverage/lcov.info': 'TN:\nSF:src/a.js\nDA:1,1\nLF:1\nLH:1\nend_of_record\n',
    });
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'coverage/lcov.info'), old, old);
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    expect(gate(res.decision, 'coverage').status).toBe('fail');
    expect(res.human).toContain('EVIDENCE_STALE');
  });

  it('a report with zero tests → BLOCKED', async () => {
    const dir = await project({ 'shipgate.yml': `gates:\n  unit:\n    run: mkdir -p r && cp ${q(fixture('junit-zero-tests.xml'))} r/unit.xml\n    reports: [r/unit.xml]\n` });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const g = gate(res.decision, 'unit');
    expect(g.status).toBe('fail');
    expect(res.human).toMatch(/tests\.total|zero tests|no tests/i);
  });

  it('an empty report file → BLOCKED (EVIDENCE_EMPTY)', async () => {
    const dir = await project({ 'shipgate.yml': `gates:\n  unit:\n    run: mkdir -p r && touch r/unit.xml\n    reports: [r/unit.xml]\n` });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    expect(res.human).toContain('EVIDENCE_EMPTY');
  });

  it('a truncated report → BLOCKED, not a crash', async () => {
    const dir = await project({ 'shipgate.yml': `gates:\n  unit:\n    run: mkdir -p r && cp ${q(fixture('junit-truncated.xml'))} r/unit.xml\n    reports: [r/unit.xml]\n` });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    expect(gate(res.decision, 'unit').status).toBe('fail');
    expect(res.human).toMatch(/EVIDENCE_(TRUNCATED|MALFORMED)/);
    expect(res.stderr).not.toContain('internal error');
  });

  it('a report-only gate (no command) reads the file that is there', async () => {
    const dir = await project({ 'shipgate.yml': `gates:\n  unit:\n    reports: [r/unit.xml]\n` });
    await mkdir(join(dir, 'r'));
    await copyFile(fixture('junit-one-failure.xml'), join(dir, 'r', 'unit.xml'));
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    expect(gate(res.decision, 'unit').counts).toMatchObject({ total: 3, failed: 1 });
  });

  it('`expect: tests.total >= 5` unmet → BLOCKED with expected vs actual', async () => {
    const dir = await project({
      'test/math.test.mjs': NODE_TESTS_PASSING,
      'shipgate.yml': `gates:\n  unit:\n${nodeGate('junit', 'reports/unit.xml', '    expect: ["tests.total >= 5", "tests.failed == 0"]\n')}`,
    });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const g = gate(res.decision, 'unit');
    expect(g.status).toBe('fail');
    const check = g.checks.find((c) => c.check === 'tests.total >= 5');
    expect(check).toMatchObject({ ok: false, actual: '3' });
    expect(check!.expected).toContain('5');
    expect(g.checks.find((c) => c.check === 'tests.failed == 0')).toMatchObject({ ok: true });
    expect(res.human).toMatch(/✗ tests\.total >= 5: expected >= 5, got 3/);
  });
});

describe('pytest', () => {
  it('counts and failing tests from --junitxml', async () => {
    const dir = await project({
      'tests/test_api.py': `import pytest

def test_health():
    assert True

def test_create_item():
    assert 1 == 2, "item was not created"

@pytest.mark.skip(reason="not yet")
def test_delete_item():
    pass

class TestItems:
    def test_list(self):
        assert True
`,
      'shipgate.yml': `gates:\n  api:\n    run: python3 -m pytest tests -p no:cacheprovider --junitxml=reports/api.xml\n    reports: [reports/api.xml]\n`,
    });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const g = gate(res.decision, 'api');
    expect(g.counts).toMatchObject({ total: 4, passed: 2, failed: 1, skipped: 1 });
    expect(res.human).toMatch(/api\s+\(2\/3, 1 failed, 1 skipped\)\s+: FAIL/);
    expect(g.failingTests).toHaveLength(1);
    expect(g.failingTests[0]!.id).toMatch(/test_create_item$/);
    expect(g.failingTests[0]!.message).toContain('item was not created');
  });
});

describe('vitest', () => {
  it('counts and failing tests from --reporter=junit', async () => {
    const vitestBin = join(REPO, 'node_modules', '.bin', 'vitest');
    const dir = await project({
      // Its own config, so the repository's vitest config is not picked up; globals so the test
      // file needs no import that would have to resolve from the temp dir.
      'vitest.config.mjs': `export default { test: { globals: true, include: ['tests/**/*.test.mjs'], watch: false } };\n`,
      'tests/cart.test.mjs': `describe('cart', () => {
  test('adds an item', () => expect(1 + 1).toBe(2));
  test('applies the discount', () => expect(10 * 0.9).toBe(8));
  test.skipIf(true)('ships abroad', () => {}); // a skipped test, as the report must show one
});
`,
      'shipgate.yml': `gates:\n  web:\n    run: ${q(`${vitestBin} run --root . --reporter=junit --outputFile=reports/vitest.xml`)}\n    reports: [reports/vitest.xml]\n`,
    });
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const g = gate(res.decision, 'web');
    expect(g.counts).toMatchObject({ total: 3, passed: 1, failed: 1, skipped: 1 });
    expect(res.human).toMatch(/web\s+\(1\/2, 1 failed, 1 skipped\)\s+: FAIL/);
    expect(g.failingTests.map((t) => t.id)).toEqual(['tests/cart.test.mjs::cart > applies the discount']);
  });
});

describe('requirements', () => {
  const files = (patterns: string[]) => ({
    'test/math.test.mjs': NODE_TESTS_MIXED,
    'shipgate.yml': `gates:\n  unit:\n${nodeGate('tap', 'reports/unit.tap')}    severity: warn\nrequirements:\n  api:\n    title: API input handling\n    tests: [${patterns.map((p) => q(p)).join(', ')}]\n`,
  });

  it('passes when every mapped test ran and passed', async () => {
    const dir = await project(files(['api::adds numbers', '*parses input']));
    const res = await run(dir);
    // The gate only warns (one test fails), so the requirement decides: it passes.
    expect(res.code, res.stderr).toBe(0);
    const r = res.decision.requirements.find((x) => x.id === 'api')!;
    expect(r.status).toBe('pass');
    expect(r.evidence).toEqual([{ gate: 'unit', tests: 2, passed: 2 }]);
    expect(res.human).toMatch(/api\s+API input handling : PASS \(unit: 2\/2 tests\)/);
  });

  it('fails when a mapped test fails, naming it', async () => {
    const dir = await project(files(['api::*']));
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const r = res.decision.requirements.find((x) => x.id === 'api')!;
    expect(r.status).toBe('fail');
    expect(r.failed.map((t) => t.id)).toEqual(['api::rejects bad input']);
    expect(res.human).toContain('--- requirement api (API input handling): FAIL ---');
    expect(res.human).toMatch(/✗ api::rejects bad input \(unit\) failed/);
  });

  it('fails when a pattern matches no test of this run, naming the pattern', async () => {
    const dir = await project(files(['api::adds numbers', 'billing::*']));
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const r = res.decision.requirements.find((x) => x.id === 'api')!;
    expect(r.unmatched).toEqual(['billing::*']);
    expect(res.human).toContain('✗ billing::*: no test of this run matches');
  });

  it('fails when a mapped test was skipped', async () => {
    const dir = await project(files(['*talks to the network']));
    const res = await run(dir);
    expect(res.code, res.stderr).toBe(1);
    const r = res.decision.requirements.find((x) => x.id === 'api')!;
    expect(r.notRun.map((t) => t.id)).toEqual(['talks to the network']);
    expect(res.human).toContain('did not run');
  });
});
