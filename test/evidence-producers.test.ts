/**
 * Real producers writing real reports, parsed by shipgate: node:test (JUnit and TAP reporters),
 * pytest --junitxml and vitest's JUnit reporter, each on a generated test file with passing,
 * failing and skipped tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence } from '../src/evidence/collect.js';
import type { TestResult } from '../src/evidence/model.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-producers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run a producer that exits non-zero because tests fail; the report is what matters. */
async function produce(cmd: string, args: string[], cwd: string): Promise<void> {
  try {
    await run(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') throw err;
  }
}

function tally(tests: TestResult[]): Record<string, number> {
  const out: Record<string, number> = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const t of tests) out[t.status]!++;
  return out;
}

const NODE_TESTS = `
import { test, describe } from 'node:test';
import assert from 'node:assert';
test('adds', () => assert.strictEqual(1 + 1, 2));
test('fails', () => assert.strictEqual(1, 2));
test('later', { skip: 'not yet' }, () => {});
describe('group', () => {
  test('inner passes', () => {});
  test('inner fails', () => { throw new Error('boom'); });
});
`;

describe('real producers', () => {
  it('node --test with the JUnit and TAP reporters', async () => {
    const d = join(dir, 'node');
    await run('mkdir', ['-p', d]);
    await writeFile(join(d, 'sample.test.mjs'), NODE_TESTS);
    await produce(process.execPath, ['--test', '--test-reporter=junit', '--test-reporter-destination=junit.xml', '--test-reporter=tap', '--test-reporter-destination=out.tap', 'sample.test.mjs'], d);
    const ev = await collectEvidence([{ path: 'junit.xml' }, { path: 'out.tap' }], d);
    expect(ev.reports.map((r) => [r.path, r.format, r.ok, r.error?.message])).toEqual([
      ['junit.xml', 'junit', true, undefined],
      ['out.tap', 'tap', true, undefined],
    ]);
    const junit = ev.tests.filter((t) => t.source === 'junit.xml');
    const tap = ev.tests.filter((t) => t.source === 'out.tap');
    expect(tally(junit)).toEqual({ passed: 2, failed: 2, error: 0, skipped: 1 });
    expect(tally(tap)).toEqual({ passed: 2, failed: 2, error: 0, skipped: 1 });
    expect(tap.find((t) => t.name === 'inner fails')).toMatchObject({ suite: 'group', status: 'failed' });
    expect(tap.find((t) => t.name === 'inner fails')!.message).toContain('boom');
    expect(junit.find((t) => t.name === 'fails')!.message).toContain('1 !== 2');
  });

  it('python3 -m pytest --junitxml', async () => {
    const d = join(dir, 'py');
    await run('mkdir', ['-p', join(d, 'tests')]);
    await writeFile(
      join(d, 'tests', 'test_sample.py'),
      [
        'import pytest',
        'def test_ok():',
        '    assert 1 + 1 == 2',
        'def test_bad():',
        '    assert 1 == 2, "numbers differ"',
        '@pytest.mark.skip(reason="not yet")',
        'def test_skip():',
        '    pass',
        '@pytest.mark.xfail(reason="known bug")',
        'def test_xfail():',
        '    assert False',
        'class TestGroup:',
        '    def test_in_class(self):',
        '        pass',
        '',
      ].join('\n'),
    );
    await produce('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--junitxml=reports/pytest.xml', 'tests'], d);
    const ev = await collectEvidence([{ path: 'reports/*.xml' }], d);
    expect(ev.reports[0]).toMatchObject({ path: 'reports/pytest.xml', format: 'junit', ok: true });
    expect(tally(ev.tests)).toEqual({ passed: 2, failed: 1, error: 0, skipped: 2 });
    expect(ev.tests.map((t) => t.id)).toContain('tests/test_sample.py::TestGroup::test_in_class');
    expect(ev.tests.find((t) => t.name === 'test_bad')!.message).toContain('numbers differ');
  });

  it('vitest --reporter=junit on its own root and config', async () => {
    const d = join(dir, 'vt');
    await run('mkdir', ['-p', d]);
    await writeFile(join(d, 'vitest.config.mjs'), 'export default { test: { include: ["*.spec.mjs"] } };\n');
    await writeFile(
      join(d, 'sample.spec.mjs'),
      [
        "import { describe, it, expect } from 'vitest';",
        "describe('math', () => {",
        "  it('adds', () => expect(1 + 1).toBe(2));",
        "  it('fails', () => expect(1).toBe(2));",
        "  it.skipIf(true)('later', () => {});",
        '});',
        '',
      ].join('\n'),
    );
    const vitestBin = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    await produce(process.execPath, [vitestBin, 'run', '--root', d, '--config', join(d, 'vitest.config.mjs'), '--reporter=junit', '--outputFile=junit.xml'], d);
    const ev = await collectEvidence([{ path: 'junit.xml' }], d);
    expect(ev.reports[0]).toMatchObject({ format: 'junit', ok: true });
    expect(tally(ev.tests)).toEqual({ passed: 1, failed: 1, error: 0, skipped: 1 });
    expect(ev.tests.map((t) => t.id)).toEqual(['sample.spec.mjs::math > adds', 'sample.spec.mjs::math > fails', 'sample.spec.mjs::math > later']);
  });
});
