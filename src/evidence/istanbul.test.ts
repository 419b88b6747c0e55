import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { istanbulFinalParser, istanbulSummaryParser } from './istanbul.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/coverage', name);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('istanbul coverage-summary.json', () => {
  it('recomputes percentages and turns "Unknown" (total 0) into null', async () => {
    const { coverage } = await istanbulSummaryParser.parse(fx('summary-unknown.istanbul.json'), { displayPath: 'coverage-summary.json' });
    expect(coverage!.lines).toEqual({ covered: 7, total: 10, pct: 70 });
    expect(coverage!.statements).toEqual({ covered: 8, total: 12, pct: (8 / 12) * 100 });
    expect(coverage!.functions).toEqual({ covered: 0, total: 0, pct: null });
    expect(coverage!.files.map((f) => f.file)).toEqual(['/home/dev/web/src/a.ts', '/home/dev/web/src/b.ts']);
    expect(coverage!.files[1]!.branches).toEqual({ covered: 0, total: 2, pct: 0 });
  });

  it('rejects a counter without numbers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-ist-'));
    dirs.push(dir);
    const p = join(dir, 's.json');
    await writeFile(p, '{"total": {"lines": {"total": "ten", "covered": 1, "pct": 10}}}');
    await expect(istanbulSummaryParser.parse(p, { displayPath: 's.json' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED' });
  });

  it('sniffs the total/lines/pct shape', () => {
    expect(istanbulSummaryParser.sniff('{"total": {"lines":{"total":1,"covered":1,"skipped":0,"pct":100}}')).toBe(true);
    expect(istanbulSummaryParser.sniff('{"metrics": {"total": 1}}')).toBe(false);
  });
});

describe('istanbul coverage-final.json', () => {
  it('derives statements, lines, functions and branch arms from the raw maps', async () => {
    const { coverage } = await istanbulFinalParser.parse(fx('coverage-final.json'), { displayPath: 'coverage-final.json' });
    expect(coverage!.files).toEqual([
      {
        file: '/home/dev/web/src/a.js',
        statements: { covered: 2, total: 4, pct: 50 },
        // lines 1 and 2 have a statement that ran; line 4 does not
        lines: { covered: 2, total: 3, pct: (2 / 3) * 100 },
        functions: { covered: 1, total: 2, pct: 50 },
        branches: { covered: 1, total: 5, pct: 20 },
      },
    ]);
    expect(coverage!.lines).toEqual({ covered: 2, total: 3, pct: (2 / 3) * 100 });
  });

  it('rejects a statement count that is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-ist-'));
    dirs.push(dir);
    const p = join(dir, 'f.json');
    await writeFile(p, '{"a.js": {"path": "a.js", "statementMap": {"0": {"start": {"line": 1, "column": 0}}}, "s": {}}}');
    await expect(istanbulFinalParser.parse(p, { displayPath: 'f.json' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED' });
  });

  it('sniffs statementMap', () => {
    expect(istanbulFinalParser.sniff('{"/a.js": {"path":"/a.js","statementMap":{"0":{}},"fnMap":{}')).toBe(true);
    expect(istanbulFinalParser.sniff('{"total": {"lines": {}}}')).toBe(false);
  });
});
