/**
 * Evidence that says "this did not work" is a failure, never a clean bill — through the real CLI.
 * Each report is well-formed and tells of something that went wrong (a scan that did not finish,
 * a second "runs" key, a suite-level crash, a header that declares failures the body lacks, a Go
 * package that failed, more lines covered than exist); each has its honest neighbour that must
 * stay READY (a clean SARIF with `results: []`, a suppressed finding, a header that matches).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { gate, makeProject, parseDecision, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

/** A gate `g` that reads one report (written by the test just before the run) and judges `expect`. */
async function judge(file: string, content: string, expect: string[] = []) {
  const dir = await makeProject({
    'shipgate.yml': `gates:\n  g:\n    reports: [${JSON.stringify(file)}]\n${expect.length ? `    expect: ${JSON.stringify(expect)}\n` : ''}`,
    [file]: content,
  });
  dirs.push(dir);
  const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
  const decision = parseDecision(res.stdout);
  return { res, decision, g: gate(decision, 'g') };
}

const run = (extra: Record<string, unknown> = {}) => ({ tool: { driver: { name: 'semgrep', rules: [{ id: 'sqli' }] } }, results: [], ...extra });
const sarif = (...runs: unknown[]) => JSON.stringify({ version: '2.1.0', runs });
const result = (extra: Record<string, unknown> = {}) => ({
  ruleId: 'sqli',
  level: 'error',
  message: { text: 'SQL built from user input' },
  locations: [{ physicalLocation: { artifactLocation: { uri: 'app/db.py' }, region: { startLine: 12 } } }],
  ...extra,
});

describe('SARIF: a scan that says it failed is not a clean one', () => {
  it.each([
    ['executionSuccessful: false', sarif(run({ invocations: [{ executionSuccessful: false, exitCode: 2 }] }))],
    ['an error notification', sarif(run({ invocations: [{ executionSuccessful: true, toolExecutionNotifications: [{ level: 'error', message: { text: 'could not parse app/db.py' } }] }] }))],
    ['a configuration error', sarif(run({ invocations: [{ executionSuccessful: true, toolConfigurationNotifications: [{ level: 'error', message: { text: 'rule file missing' } }] }] }))],
    ['results: null (not computed)', sarif(run({ results: null }))],
    ['no results at all', sarif({ tool: { driver: { name: 'semgrep' } } })],
    ['runs: [] (no scan ran)', sarif()],
  ])('%s → BLOCKED, EVIDENCE_INCOMPLETE, saying what happened', async (_name, content) => {
    const { res, g } = await judge('scan.sarif', content, ['findings.total == 0']);
    expect(res.code).toBe(1);
    expect(g.checks.find((c) => c.check === 'report scan.sarif')!.actual).toMatch(/\[EVIDENCE_INCOMPLETE\]$/);
  });

  it('honest: a clean scan with results: [] is READY; a warning notification does not make a scan incomplete', async () => {
    expect((await judge('scan.sarif', sarif(run()), ['findings.total == 0'])).res.code).toBe(0);
    const warned = sarif(run({ invocations: [{ executionSuccessful: true, toolExecutionNotifications: [{ level: 'warning', message: { text: 'slow file' } }] }] }));
    expect((await judge('scan.sarif', warned, ['findings.total == 0'])).res.code).toBe(0);
    // An invocation that does not say (executionSuccessful absent) counts as successful, as the spec says.
    expect((await judge('scan.sarif', sarif(run({ invocations: [{}] })), ['findings.total == 0'])).res.code).toBe(0);
  });

  it('an unknown level, and a security-severity that is not a number from 0 to 10, are malformed', async () => {
    const level = await judge('scan.sarif', sarif(run({ results: [result({ level: 'Error' })] })), ['findings.total == 0']);
    expect(level.res.code).toBe(1);
    expect(level.g.checks[0]!.actual).toContain('[EVIDENCE_MALFORMED]');
    const sev = await judge('scan.sarif', sarif(run({ results: [result({ properties: { 'security-severity': 'critical!' } })] })), ['findings.total == 0']);
    expect(sev.res.code).toBe(1);
    expect(sev.g.checks[0]!.actual).toContain('[EVIDENCE_MALFORMED]');
  });

  it('an accepted suppression is not counted but is visible as findings.suppressed; under review still counts', async () => {
    const accepted = await judge('scan.sarif', sarif(run({ results: [result({ suppressions: [{ kind: 'inSource', status: 'accepted' }] })] })), ['findings.total == 0', 'findings.suppressed == 1']);
    expect(accepted.res.code, accepted.res.stderr).toBe(0);
    const noStatus = await judge('scan.sarif', sarif(run({ results: [result({ suppressions: [{ kind: 'external' }] })] })), ['findings.error == 0']);
    expect(noStatus.res.code).toBe(0);
    const review = await judge('scan.sarif', sarif(run({ results: [result({ suppressions: [{ kind: 'inSource', status: 'underReview' }] })] })), ['findings.error == 0']);
    expect(review.res.code).toBe(1);
    expect(review.g.checks.find((c) => c.check === 'findings.error == 0')).toMatchObject({ ok: false, actual: '1' });
  });

  it("the tool's baselineState gives findings.new", async () => {
    const both = sarif(run({ results: [result({ baselineState: 'unchanged' }), result({ baselineState: 'new', message: { text: 'another' } })] }));
    const res = await judge('scan.sarif', both, ['findings.new == 0']);
    expect(res.res.code).toBe(1);
    expect(res.g.checks.find((c) => c.check === 'findings.new == 0')).toMatchObject({ ok: false, actual: '1' });
    expect(res.g.findings).toEqual([expect.objectContaining({ message: 'another', new: true })]);
  });
});

describe('JSON evidence refuses duplicate keys', () => {
  it('a second "runs" key cannot hide the first', async () => {
    const text = `{"version":"2.1.0","runs":[${JSON.stringify(run({ results: [result()] }))}],"runs":[${JSON.stringify(run())}]}`;
    const { res, g } = await judge('scan.sarif', text, ['findings.total == 0']);
    expect(res.code).toBe(1);
    expect(g.checks[0]!.actual).toMatch(/"runs".*\[EVIDENCE_MALFORMED\]/);
  });

  it('in every format: a metrics file with the same metric twice', async () => {
    const { res, g } = await judge('m.json', '{"metrics":{"errors":0,"errors":7}}', ['metric.errors == 0']);
    expect(res.code).toBe(1);
    expect(g.checks[0]!.actual).toContain('[EVIDENCE_MALFORMED]');
  });
});

describe('JUnit: what the suite or its header says went wrong counts', () => {
  it('an <error> directly under <testsuite> (a class-setup crash) is an error result of that suite', async () => {
    const xml = '<testsuite name="com.acme.DbTest" tests="1"><error message="Could not start the database" type="SetupError"/><testcase classname="com.acme.DbTest" name="reads"/></testsuite>';
    const { res, g } = await judge('r.xml', xml);
    expect(res.code).toBe(1);
    expect(g.failingTests).toEqual([expect.objectContaining({ id: 'com.acme.DbTest::(suite)', status: 'error', message: expect.stringContaining('Could not start the database') })]);
  });

  it('a header declaring more failures than the body holds is an error naming the mismatch; a matching header adds nothing', async () => {
    const lying = '<testsuite name="s" tests="3" failures="2"><testcase classname="a" name="x"/><testcase classname="a" name="y"/><testcase classname="a" name="z"><failure message="m"/></testcase></testsuite>';
    const { res, g } = await judge('r.xml', lying);
    expect(res.code).toBe(1);
    expect(g.failingTests.map((t) => t.id)).toEqual(['a::z', 's::(header)']);
    expect(g.failingTests[1]!.message).toMatch(/declares 2 failures/);
    const honest = lying.replace('failures="2"', 'failures="1"');
    const ok = await judge('r.xml', honest.replace('<failure message="m"/>', '').replace('failures="1"', 'failures="0"'));
    expect(ok.res.code, ok.res.stderr).toBe(0);
  });
});

describe('go test -json', () => {
  const ev = (action: string, test?: string) => JSON.stringify({ Action: action, Package: 'example.com/app', ...(test ? { Test: test } : {}) });

  it('a test that failed and then passed in a rerun is flaky; the package that failed still fails the gate', async () => {
    const stream = [ev('run', 'TestA'), ev('fail', 'TestA'), ev('fail'), ev('run', 'TestA'), ev('pass', 'TestA'), ev('pass')].join('\n');
    const { res, g } = await judge('go.json', `${stream}\n`);
    expect(res.code).toBe(1);
    expect(g.counts).toMatchObject({ flaky: 1, errors: 1 });
    expect(g.failingTests).toEqual([expect.objectContaining({ id: 'example.com/app::(package)', status: 'error' })]);
  });

  it('honest: one passing attempt is READY', async () => {
    const { res } = await judge('go.json', `${[ev('run', 'TestA'), ev('pass', 'TestA'), ev('pass')].join('\n')}\n`);
    expect(res.code, res.stderr).toBe(0);
  });
});

describe('coverage', () => {
  it('more lines covered than exist is malformed, never 500 %', async () => {
    const { res, g } = await judge('lcov.info', 'SF:src/a.js\nDA:1,1\nLF:2\nLH:10\nend_of_record\n', ['coverage.lines >= 80%']);
    expect(res.code).toBe(1);
    expect(g.checks[0]!.actual).toContain('[EVIDENCE_MALFORMED]');
    const honest = await judge('lcov.info', 'SF:src/a.js\nDA:1,1\nDA:2,1\nLF:2\nLH:2\nend_of_record\n', ['coverage.lines >= 80%']);
    expect(honest.res.code, honest.res.stderr).toBe(0);
  });
});
