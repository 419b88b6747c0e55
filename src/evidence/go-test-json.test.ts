import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestResult } from './model.js';
import { parseGoTestJson, sniffGoTestJson } from './go-test-json.js';

const FIX = join(import.meta.dirname, '../../test/fixtures/evidence/go');
const parse = async (name: string) => (await parseGoTestJson(join(FIX, name), { displayPath: name })).tests ?? [];

describe('go test -json', () => {
  it('tests and subtests with Elapsed, skips, failure output as message; passing packages add nothing', async () => {
    const t = await parse('subtests.jsonl');
    expect(t.map((x) => [x.id, x.status, x.durationMs])).toEqual([
      ['github.com/acme/parse::TestParse', 'failed', 2],
      ['github.com/acme/parse::TestParse/empty', 'failed', 0],
      ['github.com/acme/parse::TestParse/ok', 'passed', 1],
      ['github.com/acme/parse::TestSlow', 'skipped', 0],
      ['github.com/acme/util::TestJoin', 'passed', 3],
    ]);
    expect(t[1]!.message).toBe('parse_test.go:12: got error "EOF", want nil');
    expect(t[1]!.message).not.toContain('=== RUN');
  });

  it('a package failing with no test failures (build failure) becomes an error result', async () => {
    const t = await parse('build-failure.jsonl');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ id: 'github.com/acme/broken::(package)', status: 'error' });
    expect(t[0]!.message).toContain('undefined: missingFunc');
  });

  it('a test that never finished is an error', async () => {
    const t = await parse('unfinished.jsonl');
    expect(t.find((x) => x.name === 'TestHangs')).toMatchObject({ status: 'error' });
    expect(t.find((x) => x.name === 'TestHangs')!.message).toContain('index out of range');
  });

  it('a bad line in the middle is malformed with its line number; a cut last line is truncated', async () => {
    await expect(parseGoTestJson(join(FIX, 'malformed.jsonl'), { displayPath: 'm' })).rejects.toMatchObject({
      code: 'EVIDENCE_MALFORMED',
      location: { line: 2 },
    });
    await expect(parseGoTestJson(join(FIX, 'truncated.jsonl'), { displayPath: 't' })).rejects.toMatchObject({ code: 'EVIDENCE_TRUNCATED' });
    await expect(parseGoTestJson(join(FIX, '../junit/empty.xml'), { displayPath: 'e' })).rejects.toMatchObject({ code: 'EVIDENCE_EMPTY' });
  });

  it('sniffs test2json events only', () => {
    expect(sniffGoTestJson('{"Time":"2024-01-01T00:00:00Z","Action":"run","Package":"p","Test":"T"}\n')).toBe(true);
    expect(sniffGoTestJson('{"version":"2.1.0","runs":[]}')).toBe(false);
    expect(sniffGoTestJson('TAP version 13')).toBe(false);
  });
});

describe('go test -json: repeated runs are attempts of one test', () => {
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-gotest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const P = 'github.com/acme/svc';
  const ev = (Action: string, Test?: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ Time: '2024-05-01T10:00:00Z', Action, Package: P, ...(Test === undefined ? {} : { Test }), ...extra });
  /** One test's attempt: run, output lines, outcome. */
  const attempt = (test: string, outcome: 'pass' | 'fail' | 'skip', output: string[] = []): string[] => [
    ev('run', test),
    ...output.map((o) => ev('output', test, { Output: `${o}\n` })),
    ev(outcome, test, { Elapsed: 0.01 }),
  ];
  const stream = (...parts: string[][]): string[] => [ev('start'), ...parts.flat()];
  const end = (outcome: 'pass' | 'fail'): string[] => [ev(outcome, undefined, { Elapsed: 0.1 })];
  const parseLines = async (lines: string[]): Promise<TestResult[]> => {
    const p = join(dir, `s${n++}.jsonl`);
    await writeFile(p, `${lines.join('\n')}\n`);
    return (await parseGoTestJson(p, { displayPath: 'go.jsonl' })).tests ?? [];
  };
  const rows = (t: TestResult[]): [string, string, number, boolean][] => t.map((x) => [x.name, x.status, x.attempts, x.flaky]);

  it('honest: one stream, one attempt each, is unchanged (attempts 1, nothing added)', async () => {
    const t = await parseLines([...stream(attempt('TestA', 'pass'), attempt('TestB', 'skip')), ...end('pass')]);
    expect(rows(t)).toEqual([
      ['TestA', 'passed', 1, false],
      ['TestB', 'skipped', 1, false],
    ]);
  });

  it('-count=2: attempts are counted; failed then passed is passed and flaky, and the package failure still fails', async () => {
    const t = await parseLines([
      ...stream(attempt('TestA', 'pass'), attempt('TestB', 'fail', ['svc_test.go:9: timeout']), attempt('TestA', 'pass'), attempt('TestB', 'pass')),
      ...end('fail'),
    ]);
    expect(rows(t)).toEqual([
      ['TestA', 'passed', 2, false],
      ['TestB', 'passed', 2, true],
      ['(package)', 'error', 1, false],
    ]);
    expect(t[2]!.message).toMatch(/^the package failed: 1 test failed in earlier attempts \(TestB\)/);
  });

  it('gotestsum --rerun-fails (streams appended): the rerun that passed makes the test flaky; the first stream\'s package fail keeps the gate failing', async () => {
    const first = [...stream(attempt('TestA', 'pass'), attempt('TestB', 'fail'), attempt('TestC', 'fail')), ...end('fail')];
    const rerun = [...stream(attempt('TestB', 'pass'), attempt('TestC', 'pass')), ...end('pass')];
    const t = await parseLines([...first, ...rerun]);
    expect(rows(t)).toEqual([
      ['TestA', 'passed', 1, false],
      ['TestB', 'passed', 2, true],
      ['TestC', 'passed', 2, true],
      ['(package)', 'error', 1, false],
    ]);
    expect(t[3]!.id).toBe(`${P}::(package)`);
    expect(t[3]!.message).toContain('2 tests failed in earlier attempts (TestB, TestC)');
  });

  it('passed then failed is failed, with the failing attempt\'s output; no (package) result is needed then', async () => {
    const t = await parseLines([
      ...stream(attempt('TestB', 'fail', ['first: boom']), attempt('TestB', 'fail', ['second: boom'])),
      ...end('fail'),
      ...stream(attempt('TestA', 'pass'), attempt('TestA', 'fail', ['svc_test.go:3: got 2'])),
      ...end('fail'),
    ]);
    expect(rows(t)).toEqual([
      ['TestB', 'failed', 2, false],
      ['TestA', 'failed', 2, false],
    ]);
    expect(t[0]!.message).toBe('second: boom');
    expect(t[1]!.message).toBe('svc_test.go:3: got 2');
  });

  it('the final attempt decides otherwise: failed then skipped is skipped, and the package failure is an error', async () => {
    const t = await parseLines([...stream(attempt('TestA', 'fail')), ...end('fail'), ...stream(attempt('TestA', 'skip')), ...end('pass')]);
    expect(rows(t)).toEqual([
      ['TestA', 'skipped', 2, false],
      ['(package)', 'error', 1, false],
    ]);
  });

  it('a rerun cut short: the unfinished attempt is an error and the package never finished', async () => {
    const t = await parseLines([...stream(attempt('TestA', 'fail')), ...end('fail'), ev('start'), ev('run', 'TestA'), ev('output', 'TestA', { Output: 'panic: lost\n' })]);
    expect(rows(t)).toEqual([
      ['TestA', 'error', 2, false],
      ['(package)', 'error', 1, false],
    ]);
    expect(t[0]!.message).toContain('never finished');
    expect(t[1]!.message).toContain('started again after it finished');
  });

  it('a package fail with only passing tests and no rerun (TestMain exit) is an error outside the tests', async () => {
    const t = await parseLines([...stream(attempt('TestA', 'pass')), ev('output', undefined, { Output: 'exit status 3\n' }), ...end('fail')]);
    expect(rows(t)).toEqual([
      ['TestA', 'passed', 1, false],
      ['(package)', 'error', 1, false],
    ]);
    expect(t[1]!.message).toBe('the package failed outside its tests (build failure, panic in init, TestMain)\nexit status 3');
  });
});
