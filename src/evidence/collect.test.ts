import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence, mergeCoverage } from './collect.js';
import type { TestResult } from './model.js';
import { sniffFormat } from './sniff.js';

const FIX = join(import.meta.dirname, '../../test/fixtures/evidence');
let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'shipgate-collect-'));
  await mkdir(join(cwd, 'reports'));
  await copyFile(join(FIX, 'junit/pytest.xml'), join(cwd, 'reports/unit.xml'));
  await copyFile(join(FIX, 'junit/surefire-flaky.xml'), join(cwd, 'reports/TEST-calc.xml'));
  await copyFile(join(FIX, 'tap/tap13-yaml.tap'), join(cwd, 'reports/run.txt'));
  await copyFile(join(FIX, 'go/subtests.jsonl'), join(cwd, 'go.out'));
  await copyFile(join(FIX, 'junit/json-named.xml'), join(cwd, 'wrong.xml'));
  await copyFile(join(FIX, 'junit/binary.xml'), join(cwd, 'garbage.xml'));
  await copyFile(join(FIX, 'junit/empty.xml'), join(cwd, 'empty.xml'));
  await copyFile(join(FIX, 'junit/truncated.xml'), join(cwd, 'cut.xml'));
  await copyFile(join(FIX, 'junit/xxe.xml'), join(cwd, 'xxe.xml'));
  await writeFile(join(cwd, 'abs.xml'), `<testsuite name="s"><testcase name="t" classname="C" file="${cwd}/tests/MoneyTest.php"/></testsuite>`);
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('sniffFormat', () => {
  it('detects from content, not extension; binary, empty and unknown are undefined', async () => {
    expect(await sniffFormat(join(cwd, 'reports/unit.xml'))).toBe('junit');
    expect(await sniffFormat(join(cwd, 'reports/run.txt'))).toBe('tap');
    expect(await sniffFormat(join(cwd, 'go.out'))).toBe('go-test-json');
    expect(await sniffFormat(join(cwd, 'garbage.xml'))).toBeUndefined();
    expect(await sniffFormat(join(cwd, 'empty.xml'))).toBeUndefined();
  });
});

describe('collectEvidence', () => {
  it('expands globs, sniffs each file, tags tests with their source', async () => {
    const ev = await collectEvidence([{ path: 'reports/*.xml' }, { path: 'reports/run.txt' }, { path: 'go.out' }], cwd);
    expect(ev.reports.map((r) => [r.path, r.format, r.ok])).toEqual([
      ['reports/TEST-calc.xml', 'junit', true],
      ['reports/unit.xml', 'junit', true],
      ['reports/run.txt', 'tap', true],
      ['go.out', 'go-test-json', true],
    ]);
    expect(ev.tests).toHaveLength(4 + 6 + 5 + 5);
    expect(ev.tests.find((t) => t.id === 'tests/test_api.py::test_health')!.source).toBe('reports/unit.xml');
    expect(ev.tests.filter((t) => t.flaky).map((t) => t.id)).toEqual(['com.acme.CalcTest::flakyNetwork']);
  });

  it('every bad report is recorded with its code and path, never thrown', async () => {
    const ev = await collectEvidence(
      [
        { path: 'nothing/*.xml' },
        { path: 'missing.xml' },
        { path: 'empty.xml' },
        { path: 'garbage.xml' },
        { path: 'wrong.xml' },
        { path: 'wrong.xml', format: 'junit' },
        { path: 'cut.xml' },
        { path: 'xxe.xml' },
      ],
      cwd,
    );
    const codes = ev.reports.map((r) => [r.path, r.ok, r.error?.code]);
    expect(codes).toEqual([
      ['nothing/*.xml', false, 'EVIDENCE_MISSING'],
      ['missing.xml', false, 'EVIDENCE_MISSING'],
      ['empty.xml', false, 'EVIDENCE_EMPTY'],
      ['garbage.xml', false, 'EVIDENCE_UNKNOWN_FORMAT'],
      ['wrong.xml', false, 'EVIDENCE_UNKNOWN_FORMAT'],
      ['cut.xml', false, 'EVIDENCE_TRUNCATED'],
      ['xxe.xml', false, 'EVIDENCE_UNSAFE'],
    ]);
    expect(ev.reports[1]!.error!.message).toContain("check the tool's output option");
    expect(ev.reports[4]!.error!.message).toContain('junit, tap, go-test-json');
    expect(ev.tests).toHaveLength(0);
  });

  it('a forced format is used instead of sniffing', async () => {
    const ev = await collectEvidence([{ path: 'wrong.xml', format: 'junit' }], cwd);
    expect(ev.reports[0]).toMatchObject({ ok: false, format: 'junit', error: { code: 'EVIDENCE_MALFORMED' } });
  });

  it('absolute test file paths under cwd become relative, in the id too', async () => {
    const ev = await collectEvidence([{ path: 'abs.xml' }], cwd);
    expect(ev.tests[0]).toMatchObject({ file: 'tests/MoneyTest.php', id: 'tests/MoneyTest.php::C::t' });
  });

  it('a report written before the command started is stale, one written since is read', async () => {
    const old = new Date(Date.now() - 60_000);
    await utimes(join(cwd, 'reports/unit.xml'), old, old);
    const stale = await collectEvidence([{ path: 'reports/unit.xml' }], cwd, { notBeforeMs: Date.now() });
    expect(stale.reports[0]).toMatchObject({ ok: false, error: { code: 'EVIDENCE_STALE' } });
    expect(stale.tests).toEqual([]);
    const fresh = await collectEvidence([{ path: 'reports/unit.xml' }], cwd, { notBeforeMs: old.getTime() - 1 });
    expect(fresh.reports[0]!.ok).toBe(true);
  });

  it('with onTest, hands every test over (source set, file relative) instead of keeping it, with each report framed', async () => {
    const events: string[] = [];
    const handed: TestResult[] = [];
    const ev = await collectEvidence([{ path: 'reports/*.xml' }, { path: 'reports/run.txt' }, { path: 'go.out' }, { path: 'abs.xml' }, { path: 'cut.xml' }], cwd, {
      onTest: (t) => {
        handed.push(t);
        events.push(`test ${t.source}`);
      },
      onReportStart: (path) => events.push(`start ${path}`),
      onReportEnd: (path, ok) => events.push(`end ${path} ${ok}`),
    });
    expect(ev.tests).toEqual([]);
    // The same tests as without a sink, TAP and go test -json (which return arrays) included.
    const kept = await collectEvidence([{ path: 'reports/*.xml' }, { path: 'reports/run.txt' }, { path: 'go.out' }, { path: 'abs.xml' }, { path: 'cut.xml' }], cwd);
    const cut = handed.filter((t) => t.source === 'cut.xml');
    expect(handed.filter((t) => t.source !== 'cut.xml')).toEqual(kept.tests);
    expect(handed.find((t) => t.source === 'abs.xml')).toMatchObject({ file: 'tests/MoneyTest.php', id: 'tests/MoneyTest.php::C::t' });
    // Each report's tests come between its start and its end; the truncated one ends not ok, after the tests it handed over.
    const frames = events.filter((e) => !e.startsWith('test '));
    expect(frames).toEqual(['reports/TEST-calc.xml', 'reports/unit.xml', 'reports/run.txt', 'go.out', 'abs.xml', 'cut.xml'].flatMap((p) => [`start ${p}`, `end ${p} ${p !== 'cut.xml'}`]));
    for (const t of handed) {
      const at = events.indexOf(`test ${t.source}`);
      expect(at).toBeGreaterThan(events.indexOf(`start ${t.source}`));
      expect(at).toBeLessThan(events.indexOf(`end ${t.source} ${t.source !== 'cut.xml'}`));
    }
    expect(cut.length).toBeGreaterThan(0);
  });

  it('a report over the size limit is refused', async () => {
    const ev = await collectEvidence([{ path: 'reports/unit.xml' }], cwd, { maxFileBytes: 100 });
    expect(ev.reports[0]!.error!.code).toBe('EVIDENCE_TOO_LARGE');
  });
});

describe('mergeCoverage', () => {
  it('merges per file and recomputes totals', () => {
    const c = (covered: number, total: number) => ({ covered, total, pct: total ? (covered / total) * 100 : null });
    const merged = mergeCoverage([
      { lines: c(5, 10), files: [{ file: 'a.ts', lines: c(5, 10) }] },
      { lines: c(3, 4), files: [{ file: 'b.ts', lines: c(3, 4) }] },
      { lines: c(8, 10), files: [{ file: 'a.ts', lines: c(8, 10) }] },
    ])!;
    expect(merged.files.map((f) => [f.file, f.lines!.covered])).toEqual([
      ['a.ts', 8],
      ['b.ts', 3],
    ]);
    expect(merged.lines).toEqual(c(11, 14));
  });
});
