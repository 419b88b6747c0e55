import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceError } from '../errors.js';
import type { TestResult } from './model.js';
import { firstLines, parseJunit, parseSeconds, restoreLines, sniffJunit } from './junit.js';

const FIX = join(import.meta.dirname, '../../test/fixtures/evidence/junit');

async function parse(name: string): Promise<TestResult[]> {
  return (await parseJunit(join(FIX, name), { displayPath: name })).tests ?? [];
}

async function failure(path: string, displayPath = 'r.xml'): Promise<EvidenceError> {
  try {
    await parseJunit(path, { displayPath });
  } catch (err) {
    expect(err).toBeInstanceOf(EvidenceError);
    return err as EvidenceError;
  }
  throw new Error('expected the parse to fail');
}

const byId = (tests: TestResult[]): Record<string, TestResult> => Object.fromEntries(tests.map((t) => [t.id, t]));

describe('JUnit dialects', () => {
  it('pytest: file-based ids, xfail/skip as skipped, error vs failure, decimal comma and "*" times', async () => {
    const t = byId(await parse('pytest.xml'));
    expect(Object.keys(t)).toEqual([
      'tests/test_api.py::test_health',
      'tests/test_api.py::TestUsers::test_create',
      'tests/test_api.py::TestUsers::test_delete',
      'tests/test_api.py::test_later',
      'tests/test_api.py::test_known_bug',
      'tests/test_api.py::test_param[a b]',
    ]);
    expect(t['tests/test_api.py::TestUsers::test_create']).toMatchObject({ status: 'failed', durationMs: 500, message: 'AssertionError: assert 201 == 500', file: 'tests/test_api.py' });
    expect(t['tests/test_api.py::TestUsers::test_delete']).toMatchObject({ status: 'error', message: `failed on setup with "fixture 'db' not found"` });
    expect(t['tests/test_api.py::TestUsers::test_delete']!.durationMs).toBeUndefined();
    expect(t['tests/test_api.py::test_later']).toMatchObject({ status: 'skipped', message: 'not ready' });
    expect(t['tests/test_api.py::test_known_bug']!.status).toBe('skipped');
    expect(t['tests/test_api.py::test_health']).toMatchObject({ status: 'passed', durationMs: 12, attempts: 1, flaky: false });
  });

  it('jest-junit and vitest: file + full title, body text as message when no message attribute', async () => {
    const jest = await parse('jest-junit.xml');
    expect(jest.map((x) => [x.id, x.status])).toEqual([
      ['src/calc.test.js::Calculator adds', 'passed'],
      ['src/calc.test.js::Calculator divides', 'failed'],
      ['src/calc.test.js::Calculator todo', 'skipped'],
    ]);
    expect(jest[1]!.message).toContain('Expected: 2\nReceived: Infinity');
    const vitest = await parse('vitest.xml');
    expect(vitest.map((x) => [x.id, x.status])).toEqual([
      ['src/math.test.ts::math > adds', 'passed'],
      ['src/math.test.ts::math > subtracts', 'failed'],
      ['src/math.test.ts::math > later', 'skipped'],
    ]);
  });

  it('Surefire: flakyFailure/flakyError pass as flaky, rerunFailure/rerunError stay failed with attempts counted', async () => {
    const t = byId(await parse('surefire-flaky.xml'));
    expect(t['com.acme.CalcTest::adds']).toMatchObject({ status: 'passed', attempts: 1, flaky: false });
    expect(t['com.acme.CalcTest::flakyNetwork']).toMatchObject({ status: 'passed', attempts: 3, flaky: true });
    expect(t['com.acme.CalcTest::divides']).toMatchObject({ status: 'failed', attempts: 3, flaky: false, message: 'expected: <2> but was: <3>' });
    expect(t['com.acme.CalcTest::connects']).toMatchObject({ status: 'error', attempts: 2, durationMs: 1500 });
  });

  it('Gradle, go-junit-report, gotestsum: classname-scoped ids, CDATA bodies, entity newlines', async () => {
    expect((await parse('gradle.xml')).map((x) => [x.id, x.status])).toEqual([
      ['com.acme.StringsTest::reverses a string()', 'passed'],
      ['com.acme.StringsTest::handles unicode()', 'skipped'],
    ]);
    expect((await parse('go-junit-report.xml')).map((x) => [x.id, x.status])).toEqual([
      ['github.com/acme/parse::TestParse', 'passed'],
      ['github.com/acme/parse::TestParse/empty_input', 'failed'],
      ['github.com/acme/parse::TestSlow', 'skipped'],
    ]);
    const gs = await parse('gotestsum.xml');
    expect(gs.map((x) => x.status)).toEqual(['passed', 'failed']);
  });

  it('cargo-nextest: flaky retries and reruns', async () => {
    const t = byId(await parse('nextest.xml'));
    expect(t['acme-core::tests::retries_network']).toMatchObject({ status: 'passed', flaky: true, attempts: 2 });
    expect(t['acme-core::tests::rejects_bad']).toMatchObject({ status: 'failed', attempts: 2 });
    expect(t['acme-core::tests::rejects_bad']!.message).toContain("thread 'tests::rejects_bad' panicked");
  });

  it('Playwright, mocha, PHPUnit nested suites, node:test testcases directly under <testsuites>', async () => {
    expect((await parse('playwright.xml')).map((x) => [x.id, x.status])).toEqual([
      ['login.spec.ts::login › accepts valid user', 'passed'],
      ['login.spec.ts::login › rejects bad password', 'failed'],
      ['login.spec.ts::login › sso', 'skipped'],
    ]);
    expect((await parse('mocha.xml')).map((x) => [x.id, x.status])).toEqual([
      ['test/api.spec.js::api returns 200', 'passed'],
      ['test/api.spec.js::api returns json', 'failed'],
    ]);
    const php = await parse('phpunit-nested.xml');
    expect(php).toHaveLength(3);
    expect(php.map((x) => x.status)).toEqual(['passed', 'passed', 'failed']);
    expect(php[2]!.id).toBe('/repo/tests/MoneyTest.php::App.Tests.MoneyTest::testRounds with data set #1');
    const node = await parse('node-test.xml');
    expect(node.map((x) => [x.name, x.status, x.durationMs])).toEqual([
      ['top-level passes', 'passed', 0.812],
      ['reads numbers', 'failed', 0.311],
      ['reads dates', 'skipped', 0.045],
    ]);
    expect(node[1]!.message).toBe('Expected values to be strictly equal:\n\n1 !== 2');
  });

  it('counts the testcases in the file, not the header attributes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipgate-junit-'));
    try {
      const p = join(dir, 'r.xml');
      await writeFile(p, '<testsuite name="s" tests="99" failures="0"><testcase name="a" classname="c"><failure/></testcase></testsuite>');
      const tests = (await parseJunit(p, { displayPath: 'r.xml' })).tests!;
      expect(tests).toHaveLength(1);
      expect(tests[0]!.status).toBe('failed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('JUnit: what the suite or its header says went wrong', () => {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipgate-junit-suite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const parseXml = async (xml: string): Promise<TestResult[]> => {
    const p = join(dir, `r${n++}.xml`);
    await writeFile(p, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    return (await parseJunit(p, { displayPath: 'r.xml' })).tests ?? [];
  };
  const summary = (tests: TestResult[]): [string, string, string | undefined][] => tests.map((t) => [t.id, t.status, t.message]);

  it('Ant: an <error> directly under <testsuite> (class setup failed) is an error result of the suite', async () => {
    const t = await parseXml(
      '<testsuite name="com.acme.DbTest" tests="0" failures="0" errors="1"><properties><property name="error" value="x"/></properties>' +
        '<error message="Connection refused: localhost/127.0.0.1:5432" type="java.net.ConnectException">java.net.ConnectException: Connection refused\n\tat org.postgresql.Driver.connect</error></testsuite>',
    );
    expect(summary(t)).toEqual([['com.acme.DbTest::(suite)', 'error', 'Connection refused: localhost/127.0.0.1:5432']]);
    expect(t[0]).toMatchObject({ suite: 'com.acme.DbTest', name: '(suite)', attempts: 1, flaky: false });
  });

  it("karma: a browser disconnect written as <error> text after the suite's tests fails the suite, with the text as message", async () => {
    const t = await parseXml(
      '<testsuites><testsuite name="Chrome Headless 120.0 (Linux x86_64)" tests="2" errors="1" failures="0">' +
        '<testcase name="renders" classname="App" time="0.01"/><testcase name="clicks" classname="App" time="0.02"/>' +
        '<system-out><![CDATA[LOG: starting]]></system-out>' +
        '<error>Disconnected, because no message in 30000 ms.</error></testsuite></testsuites>',
    );
    expect(summary(t)).toEqual([
      ['App::renders', 'passed', undefined],
      ['App::clicks', 'passed', undefined],
      ['Chrome Headless 120.0 (Linux x86_64)::(suite)', 'error', 'Disconnected, because no message in 30000 ms.'],
    ]);
  });

  it('several suite-level elements make one (suite) result; a <failure> there counts too; a suite with a file is scoped by it', async () => {
    const t = await parseXml(
      '<testsuite name="api" file="./test/api.spec.js" failures="1" errors="1"><failure message="before all hook failed"/><error/></testsuite>',
    );
    expect(summary(t)).toEqual([['test/api.spec.js::(suite)', 'error', 'before all hook failed']]);
    const bare = await parseXml('<testsuite name="s"><error/></testsuite>');
    expect(summary(bare)).toEqual([['s::(suite)', 'error', 'the suite failed outside its test cases']]);
  });

  it('a header declaring more failures than the body holds is an error result naming the mismatch', async () => {
    const t = await parseXml(
      '<testsuite name="calc" tests="3" failures="3" errors="0"><testcase classname="calc" name="adds"><failure message="1 != 2"/></testcase><testcase classname="calc" name="subtracts"/></testsuite>',
    );
    expect(summary(t)).toEqual([
      ['calc::adds', 'failed', '1 != 2'],
      ['calc::subtracts', 'passed', undefined],
      ['calc::(header)', 'error', 'the testsuite header declares 3 failures, the file holds 1 failing test case: the report is incomplete or was edited'],
    ]);
  });

  it('more errors than the body holds, and a <testsuites> total above the sum of its suites, are caught too', async () => {
    const t = await parseXml(
      '<testsuites name="jest tests" tests="3" failures="2" errors="1">' +
        '<testsuite name="a" tests="2" failures="1" errors="0"><testcase classname="a" name="x"><failure/></testcase><testcase classname="a" name="y"/></testsuite>' +
        '<testsuite name="b" tests="1" failures="0" errors="1"><testcase classname="b" name="z"/></testsuite>' +
        '</testsuites>',
    );
    expect(summary(t)).toEqual([
      ['a::x', 'failed', undefined],
      ['a::y', 'passed', undefined],
      ['b::z', 'passed', undefined],
      ['b::(header)', 'error', 'the testsuite header declares 1 error, the file holds 0 test cases with an error: the report is incomplete or was edited'],
      [
        'jest tests::(header)',
        'error',
        'the testsuites header declares 2 failures, the file holds 1 failing test case and declares 1 error, the file holds 0 test cases with an error: the report is incomplete or was edited',
      ],
    ]);
  });

  it('honest headers add nothing: matching counts, fewer declared, pytest failure+error in one case, several <failure>s in one case, Surefire reruns and flakes, suite-level errors in totals', async () => {
    const honest = [
      // matches
      '<testsuite name="s" tests="2" failures="1" errors="1"><testcase classname="s" name="a"><failure/></testcase><testcase classname="s" name="b"><error/></testcase></testsuite>',
      // fewer declared than held: the file decides
      '<testsuite name="s" tests="1" failures="0" errors="0"><testcase classname="s" name="a"><failure/></testcase></testsuite>',
      // pytest: failed in call and errored in teardown, counted in both attributes
      '<testsuites><testsuite name="pytest" errors="1" failures="1" tests="1"><testcase classname="tests.test_a" name="test_x"><failure message="assert 0"/><error message="teardown failed"/></testcase></testsuite></testsuites>',
      // vitest: one <failure> per assertion error, one failure in the header
      '<testsuites name="vitest tests" tests="1" failures="1" errors="0"><testsuite name="a.test.ts" tests="1" failures="1" errors="0"><testcase classname="a.test.ts" name="t"><failure message="e1"/><failure message="e2"/></testcase></testsuite></testsuites>',
      // Surefire: rerun failures and flaky failures are not header failures
      '<testsuite name="S" tests="2" failures="1" errors="0" flakes="1"><testcase classname="S" name="a"><failure/><rerunFailure/><rerunFailure/></testcase><testcase classname="S" name="b"><flakyFailure/><flakyFailure/></testcase></testsuite>',
      // suite-level errors count in the suite and in the <testsuites> total
      '<testsuites errors="1" failures="0"><testsuite name="T" errors="1" failures="0" tests="0"><error message="setup"/></testsuite></testsuites>',
      // unreadable header values cannot count
      '<testsuite name="s" failures="" errors="many"><testcase classname="s" name="a"/></testsuite>',
    ];
    for (const xml of honest) {
      const t = await parseXml(xml);
      expect(t.filter((x) => x.name === '(header)'), xml).toEqual([]);
    }
    const pytest = await parseXml(honest[2]!);
    expect(summary(pytest)).toEqual([['tests/test_a.py::test_x', 'error', 'teardown failed']]);
  });
});

describe('JUnit bad files fail closed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shipgate-junit-bad-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('XXE: refused as unsafe, and the referenced secret appears nowhere', async () => {
    const secret = join(dir, 'secret.txt');
    const token = 'TOP-SECRET-7f3a9c';
    await writeFile(secret, token);
    const xml = (await readFile(join(FIX, 'xxe.xml'), 'utf8')).replace('/SECRET_PATH', secret);
    const p = join(dir, 'xxe.xml');
    await writeFile(p, xml);
    const err = await failure(p, 'xxe.xml');
    expect(err.code).toBe('EVIDENCE_UNSAFE');
    expect(err.file).toBe('xxe.xml');
    expect(JSON.stringify({ message: err.message, hint: err.hint, location: err.location, cause: String(err.cause) })).not.toContain(token);
  });

  it('billion laughs: refused before any expansion', async () => {
    expect((await failure(join(FIX, 'billion-laughs.xml'))).code).toBe('EVIDENCE_UNSAFE');
  });

  it('undefined entity, mismatched tags, a JSON file named .xml: malformed with line:col', async () => {
    const ent = await failure(join(FIX, 'undefined-entity.xml'));
    expect(ent.code).toBe('EVIDENCE_MALFORMED');
    expect(ent.message).toContain('&nbsp;');
    expect(ent.location?.line).toBe(2);
    const mis = await failure(join(FIX, 'mismatched.xml'));
    expect(mis).toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { line: 4 } });
    expect((await failure(join(FIX, 'json-named.xml'))).code).toBe('EVIDENCE_MALFORMED');
  });

  it('0-byte and whitespace-only files are empty; binary is malformed; a cut file is truncated', async () => {
    expect((await failure(join(FIX, 'empty.xml'))).code).toBe('EVIDENCE_EMPTY');
    const ws = join(dir, 'ws.xml');
    await writeFile(ws, '  \n\n ');
    expect((await failure(ws)).code).toBe('EVIDENCE_EMPTY');
    expect((await failure(join(FIX, 'binary.xml'))).code).toBe('EVIDENCE_MALFORMED');
    const cut = await failure(join(FIX, 'truncated.xml'), 'truncated.xml');
    expect(cut.code).toBe('EVIDENCE_TRUNCATED');
    expect(cut.message).toContain('truncated.xml');
  });

  it('truncated at every point of a valid file is never a pass', async () => {
    const whole = await readFile(join(FIX, 'surefire-flaky.xml'), 'utf8');
    const p = join(dir, 'cut.xml');
    for (let n = 1; n < whole.length - 2; n += 37) {
      await writeFile(p, whole.slice(0, n));
      const err = await failure(p);
      expect(['EVIDENCE_TRUNCATED', 'EVIDENCE_EMPTY', 'EVIDENCE_MALFORMED']).toContain(err.code);
    }
  });

  it('bytes that are not UTF-8, or a NUL, are malformed; a character cut at the very end is truncated', async () => {
    const head = '<testsuite name="s"><testcase classname="c" name="a"/>';
    const bad = join(dir, 'latin1.xml');
    await writeFile(bad, Buffer.concat([Buffer.from(head), Buffer.from([0xe9]), Buffer.from('</testsuite>')]));
    expect((await failure(bad)).code).toBe('EVIDENCE_MALFORMED');
    const nul = join(dir, 'nul.xml');
    await writeFile(nul, `${head}\0</testsuite>`);
    expect((await failure(nul)).code).toBe('EVIDENCE_MALFORMED');
    const cut = join(dir, 'cut-char.xml');
    await writeFile(cut, Buffer.from(`${head}<testcase name="caf\u00e9`).subarray(0, -1));
    expect((await failure(cut)).code).toBe('EVIDENCE_TRUNCATED');
  });

  it('positions point at the offending character: line and column in characters, not bytes', async () => {
    const p = join(dir, 'pos.xml');
    await writeFile(p, '<testsuite name="\u00fc\u00fc">\n  <testcase name="\u20ac\u20ac" classname="c"></testsuit>\n</testsuite>');
    expect(await failure(p)).toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { line: 2, col: 37 } });
  });

  it('an XML file that is not JUnit is named as such', async () => {
    const p = join(dir, 'cov.xml');
    await writeFile(p, '<?xml version="1.0"?><coverage line-rate="1"></coverage>');
    const err = await failure(p);
    expect(err.code).toBe('EVIDENCE_MALFORMED');
    expect(err.message).toContain('<coverage>');
  });

  it('a missing file is EVIDENCE_MISSING', async () => {
    expect((await failure(join(dir, 'nope.xml'))).code).toBe('EVIDENCE_MISSING');
  });
});

describe('large reports', () => {
  it('reads tags, multi-byte text, references and CDATA correctly wherever the read buffer splits them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipgate-junit-big-'));
    try {
      // Lines of varying length put every kind of token across the 256 KiB read boundaries.
      const names: string[] = [];
      const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testsuite name="big" file="./src/big.test.ts">\n'];
      for (let i = 0; i < 6000; i++) {
        const name = `case ${i} ${'\u00fc\u20ac\u{1d11e}'.repeat(i % 5)} &amp; ${'x'.repeat(i % 37)}`;
        names.push(name.replace('&amp;', '&').replace(/\s+/g, ' ').trim());
        if (i % 3 === 0) {
          parts.push(`<testcase name="${name}" time="0.${i}"><failure><![CDATA[boom ${i} \u00e9\n${'trace '.repeat(i % 50)}]]></failure></testcase>\n`);
        } else if (i % 3 === 1) {
          parts.push(`<!-- ${'c'.repeat(i % 300)} --><testcase name="${name}"><system-out>${'log &lt;line&gt; '.repeat(i % 40)}</system-out></testcase>\n`);
        } else parts.push(`<testcase   name="${name}"\n   time="${i}"  />\n`);
      }
      parts.push('</testsuite>\n</testsuites>\n');
      const p = join(dir, 'big.xml');
      await writeFile(p, parts.join(''));
      const tests = (await parseJunit(p, { displayPath: 'big.xml' })).tests!;
      expect(tests.map((t) => t.name)).toEqual(names);
      expect(tests.every((t) => t.id === `src/big.test.ts::${t.name}` && t.file === 'src/big.test.ts')).toBe(true);
      expect(tests.filter((t) => t.status === 'failed')).toHaveLength(2000);
      expect(tests[3]).toMatchObject({ status: 'failed', durationMs: 300, message: `boom 3 \u00e9\n${'trace '.repeat(3).trimEnd()}` });
      expect(tests[5]).toMatchObject({ status: 'passed', durationMs: 5000 });
      expect(tests[4]!.durationMs).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('helpers', () => {
  it('parseSeconds accepts the forms tools write', () => {
    expect(parseSeconds('1.5')).toBe(1.5);
    expect(parseSeconds('1,234.5')).toBe(1234.5);
    expect(parseSeconds('0,5')).toBe(0.5);
    expect(parseSeconds('*')).toBeUndefined();
    expect(parseSeconds('')).toBeUndefined();
    expect(parseSeconds(undefined)).toBeUndefined();
  });
  it('firstLines caps lines and characters', () => {
    const many = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    expect(firstLines(many)!.split('\n')).toHaveLength(11);
    expect(firstLines('x'.repeat(5000))!.length).toBeLessThanOrEqual(1001);
    expect(firstLines('  \n  ')).toBeUndefined();
  });
  it("restores the line breaks node:test's reporter drops from a message attribute, from the body that spells it out", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipgate-junit-lines-'));
    try {
      const file = join(dir, 'node-test-lines.xml');
      // As node:test writes it: the attribute lost its blank line, the body kept it.
      await writeFile(
        file,
        `<testsuites><testsuite name="api items" tests="3" failures="3">
  <testcase name="lists" classname="test"><failure type="testCodeFailure" message="GET /api/items answered 500 (DEMO_BREAK=1 is set)500 !== 200">
[Error [ERR_TEST_FAILURE]: GET /api/items answered 500 (DEMO_BREAK=1 is set)

500 !== 200
] { code: 'ERR_TEST_FAILURE' }</failure></testcase>
  <testcase name="spaces" classname="test"><failure message="expected 1 got 2">expected 1
got 2</failure></testcase>
  <testcase name="other body" classname="test"><failure message="a short summary">a stack trace that says something else</failure></testcase>
</testsuite></testsuites>`,
      );
      const t = byId((await parseJunit(file, { displayPath: 'r.xml' })).tests ?? []);
      expect(t['api items::lists']!.message).toBe('GET /api/items answered 500 (DEMO_BREAK=1 is set)\n\n500 !== 200');
      // A literal newline in an attribute reads as a space: the body's line break comes back.
      expect(t['api items::spaces']!.message).toBe('expected 1\ngot 2');
      // A body that does not spell the attribute out leaves the attribute as written.
      expect(t['api items::other body']!.message).toBe('a short summary');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('restoreLines only returns the body when it spells the attribute with breaks the attribute lacks', () => {
    expect(restoreLines('ab', 'x a\nb y')).toBe('a\nb');
    expect(restoreLines('ab', 'x ab y')).toBeUndefined();
    expect(restoreLines('a\nb', 'a\nb')).toBeUndefined();
    expect(restoreLines('abc', 'a\nbd')).toBeUndefined();
    expect(restoreLines('', 'a')).toBeUndefined();
    // Longer than the kept body: never scanned.
    expect(restoreLines('x'.repeat(3000), 'x'.repeat(2000))).toBeUndefined();
  });
  it('sniffs JUnit roots behind a prolog, not other XML', () => {
    expect(sniffJunit('\uFEFF<?xml version="1.0"?>\n<!-- c -->\n<testsuites>')).toBe(true);
    expect(sniffJunit('<!DOCTYPE x [ <!ENTITY a "b"> ]><testsuite name="a">')).toBe(true);
    expect(sniffJunit('<?xml version="1.0"?><coverage>')).toBe(false);
    expect(sniffJunit('{"testsuites": 1}')).toBe(false);
  });
});

describe('streaming to onTest', () => {
  const FILES = ['pytest.xml', 'surefire-flaky.xml', 'gradle.xml', 'jest-junit.xml', 'mocha.xml', 'go-junit-report.xml', 'vitest.xml', 'node-test.xml', 'phpunit-nested.xml', 'playwright.xml', 'nextest.xml'];

  it('hands over the same tests, in the same order, as the parse returns without it; and returns none', async () => {
    for (const name of FILES) {
      const path = join(FIX, name);
      const returned = (await parseJunit(path, { displayPath: name })).tests ?? [];
      const handed: TestResult[] = [];
      const part = await parseJunit(path, { displayPath: name, onTest: (t) => handed.push(t) });
      expect(part.tests, name).toBeUndefined();
      expect(handed, name).toEqual(returned);
      expect(handed.length, name).toBeGreaterThan(0);
    }
  });

  it('hands over a suite-level result once its message (the element body) is read, and each object once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shipgate-junit-sink-'));
    try {
      const p = join(dir, 'karma.xml');
      await writeFile(
        p,
        '<testsuites><testsuite name="Chrome" tests="1" errors="1"><testcase name="renders" classname="App"/>' +
          '<error>Disconnected, because no message in 30000 ms.</error><testcase name="late" classname="App"/></testsuite></testsuites>',
      );
      const handed: [string, string | undefined][] = [];
      const seen = new Set<TestResult>();
      await parseJunit(p, {
        displayPath: 'karma.xml',
        onTest: (t) => {
          expect(seen.has(t)).toBe(false);
          seen.add(t);
          handed.push([t.id, t.message]);
        },
      });
      expect(handed).toEqual([
        ['App::renders', undefined],
        ['Chrome::(suite)', 'Disconnected, because no message in 30000 ms.'],
        ['App::late', undefined],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a truncated file hands over the tests before the cut, then throws: the caller must forget them', async () => {
    const handed: string[] = [];
    const err = await parseJunit(join(FIX, 'truncated.xml'), { displayPath: 'cut.xml', onTest: (t) => handed.push(t.id) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as EvidenceError).code).toBe('EVIDENCE_TRUNCATED');
    expect(handed.length).toBeGreaterThan(0);
  });
});
