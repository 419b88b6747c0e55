/**
 * Policy that cannot be talked round, through the real CLI: a quarantine excuses quarantined
 * failures and nothing else (never another exit code, a signal, a crash or a later step), the
 * gate's own tolerance is honoured and the reason names the real cause, requirements match tests
 * by name and are never proven by a quarantined test. Each attack has its honest neighbour.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { gate, makeProject, nodeCmd, parseDecision, q, removeProject, runCli, daysFromNow } from './helpers.js';

const SOON = daysFromNow(30);

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

async function run(yml: string, extra: string[] = []) {
  const dir = await makeProject({ 'shipgate.yml': yml });
  dirs.push(dir);
  const res = await runCli(['run', '1.0.0', '--no-history', '--json', ...extra], { cwd: dir });
  return { res, decision: parseDecision(res.stdout), dir };
}

/** The runner stand-in as a shell command: writes reports/unit.xml with `tests`, then ends with `end`. */
const runner = (end: string, ...tests: string[]) => nodeCmd('junit-exit.mjs', 'reports/unit.xml', end, ...tests);

const quarantined = `quarantine:
  - { tests: "app.Suite::flaky_upload", reason: "ISSUE-7 races on CI", until: ${SOON} }
`;

const gateYml = (run: string, extra = '') => `${quarantined}gates:
  unit:
    run: ${run}
    reports: [reports/unit.xml]
${extra}`;

describe('quarantine excuses quarantined failures only', () => {
  it('the runner\'s tests-failed code with only quarantined failures is explained: READY, saying why', async () => {
    const { res, decision } = await run(gateYml(q(runner('exit:1', 'ok=pass', 'flaky_upload=fail'))));
    expect(res.code, res.stderr).toBe(0);
    const exit = gate(decision, 'unit').checks.find((c) => c.check === 'command exit code')!;
    expect(exit).toMatchObject({ ok: true, message: 'exit code 1 is the runner\'s "tests failed" code, explained by 1 quarantined failure' });
    expect(gate(decision, 'unit').counts).toMatchObject({ failed: 0, quarantined: 1 });
  });

  it('one quarantined and one other failure under the same exit 1: BLOCKED, naming the test that is not quarantined', async () => {
    const { res, decision } = await run(gateYml(q(runner('exit:1', 'ok=pass', 'flaky_upload=fail', 'checkout=fail'))));
    expect(res.code).toBe(1);
    const g = gate(decision, 'unit');
    expect(g.status).toBe('fail');
    expect(g.counts).toMatchObject({ failed: 1, quarantined: 1 });
    expect(g.failingTests.map((t) => [t.id, !!t.quarantined])).toEqual([
      ['app.Suite::flaky_upload', true],
      ['app.Suite::checkout', false],
    ]);
    expect(g.checks.find((c) => c.check === 'command exit code')).toMatchObject({ ok: false });
    expect(decision.blockers.join('\n')).toMatch(/unit: 1 of \d+ tests failed/);
  });

  it.each([
    ['exit:2', 'command exit 2'],
    ['exit:3', 'command exit 3'],
    ['exit:4', 'command exit 4'],
    ['exit:137', 'command exit 137 (killed by SIGKILL)'],
    // The shell reports a runner killed by a signal as 128 + the signal's number.
    ['kill:SIGKILL', 'command exit 137 (killed by SIGKILL)'],
    ['kill:SIGSEGV', 'command exit 139 (killed by SIGSEGV)'],
  ])('%s is never excused by a quarantine: BLOCKED, and the reason is the exit, not the tests', async (end, reason) => {
    const { res, decision } = await run(gateYml(q(runner(end, 'ok=pass', 'flaky_upload=fail'))));
    expect(res.code).toBe(1);
    const g = gate(decision, 'unit');
    expect(g.status).toBe('fail');
    expect(g.reason).toBe(reason);
    expect(decision.blockers).toEqual([`unit: ${reason}`]);
  });

  it('a later step of the same `run` that fails is never excused, in a string or a list', async () => {
    const inString = await run(gateYml(q(`${runner('exit:1', 'ok=pass', 'flaky_upload=fail')}; exit 1`)));
    expect(inString.res.code).toBe(1);
    expect(gate(inString.decision, 'unit').checks.find((c) => c.check === 'command exit code')!.message).toMatch(/several steps/);
    const chained = await run(gateYml(q(`${runner('exit:1', 'ok=pass', 'flaky_upload=fail')} && echo deployed`)));
    expect(chained.res.code).toBe(1);

    const listed = await run(gateYml(`\n      - ${q(runner('exit:1', 'ok=pass', 'flaky_upload=fail'))}\n      - node -e "process.exit(1)"`));
    expect(listed.res.code).toBe(1);
    const g = gate(listed.decision, 'unit');
    expect(g.checks.find((c) => c.check === 'step 1 exit code')).toMatchObject({ ok: true });
    expect(g.checks.find((c) => c.check === 'step 2 exit code')).toMatchObject({ ok: false, message: expect.stringContaining('no test report was written while this step ran') });
    expect(g.reason).toBe('step 2 exit 1');
  });

  it('honest: a list whose test step is excused and whose later step passes is READY; a failing first step stops the list', async () => {
    const ok = await run(gateYml(`\n      - ${q(runner('exit:1', 'ok=pass', 'flaky_upload=fail'))}\n      - node -e "require('fs').writeFileSync('step2.ran', '')"`));
    expect(ok.res.code, ok.res.stderr).toBe(0);
    const stopped = await run(gateYml(`\n      - node -e "process.exit(2)"\n      - node -e "require('fs').writeFileSync('step2.ran', '')"`).replace('    reports: [reports/unit.xml]\n', ''));
    expect(stopped.res.code).toBe(1);
    expect(gate(stopped.decision, 'unit').checks.find((c) => c.check === 'step 2')).toMatchObject({ ok: false, actual: 'did not run: step 1 failed' });
  });

  it('follows the gate\'s own tests-failed codes', async () => {
    const own = await run(gateYml(q(runner('exit:4', 'ok=pass', 'flaky_upload=fail')), '    exit-codes: { tests-failed: [4] }\n'));
    expect(own.res.code, own.res.stderr).toBe(0);
    const notOne = await run(gateYml(q(runner('exit:1', 'ok=pass', 'flaky_upload=fail')), '    exit-codes: { tests-failed: [4] }\n'));
    expect(notOne.res.code).toBe(1);
  });
});

describe('tolerances work, and reasons name the real cause', () => {
  const tolerant = (run: string) => `gates:\n  unit:\n    run: ${run}\n    reports: [reports/unit.xml]\n    expect: ["tests.failed <= 1"]\n`;

  it('tests.failed <= 1 with one failing test and the tests-failed exit code is READY', async () => {
    const { res, decision } = await run(tolerant(q(runner('exit:1', 'a=pass', 'b=fail'))));
    expect(res.code, res.stderr).toBe(0);
    expect(gate(decision, 'unit').checks.find((c) => c.check === 'command exit code')!.message).toContain('1 failure within `tests.failed <= 1`');
  });

  it('two failing tests are BLOCKED for the tests; a crash with a tolerated failure is BLOCKED for the crash', async () => {
    const two = await run(tolerant(q(runner('exit:1', 'a=fail', 'b=fail'))));
    expect(two.res.code).toBe(1);
    expect(gate(two.decision, 'unit').reason).toBe('2 of 2 tests failed; command exit 1');
    const crashed = await run(tolerant(q(runner('exit:2', 'a=pass', 'b=fail'))));
    expect(crashed.res.code).toBe(1);
    expect(gate(crashed.decision, 'unit').reason).toBe('command exit 2');
  });
});

describe('requirements, as teams write them', () => {
  const reqYml = (req: string, tests: string[], end = 'exit:1') => `${quarantined}gates:
  unit:
    run: ${q(runner(end, ...tests))}
    reports: [reports/unit.xml]
requirements:
  ${req}
`;

  it('a pattern without :: or / names a test by its own name', async () => {
    const { res, decision } = await run(reqYml('login: { tests: [accepts_login] }', ['accepts_login=pass', 'other=pass'], 'exit:0'));
    expect(res.code, res.stderr).toBe(0);
    expect(decision.requirements[0]).toMatchObject({ id: 'login', status: 'pass', evidence: [{ gate: 'unit', tests: 1, passed: 1 }] });
  });

  it('a quarantined test never proves a requirement: "unproven (quarantined)", blocking per its severity', async () => {
    const { res, decision } = await run(reqYml('upload: { tests: [flaky_upload] }', ['ok=pass', 'flaky_upload=fail']));
    // The gate passes (the quarantine excuses the failure there), the claim does not.
    expect(gate(decision, 'unit').status).toBe('pass');
    expect(res.code).toBe(1);
    expect(decision.requirements[0]).toMatchObject({ status: 'fail', unproven: [{ id: 'app.Suite::flaky_upload', status: 'failed' }] });
    expect(decision.blockers).toEqual(['requirement upload: app.Suite::flaky_upload unproven (quarantined)']);
    expect(res.stderr).toContain('unproven (quarantined): QUARANTINED: ISSUE-7 races on CI');

    const warnOnly = await run(reqYml('upload: { tests: [flaky_upload], severity: warn }', ['ok=pass', 'flaky_upload=fail']));
    expect(warnOnly.res.code, warnOnly.res.stderr).toBe(0);
    expect(warnOnly.decision.requirements[0]!.status).toBe('warn');
  });
});
