import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { lcovParser } from './lcov.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/coverage', name);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('lcov', () => {
  it('merges records of the same file and counts detail lines', async () => {
    const { coverage } = await lcovParser.parse(fx('multi.lcov.info'), { displayPath: 'lcov.info' });
    expect(coverage?.files.map((f) => f.file)).toEqual(['src/math.ts', 'src/util.ts']);
    const math = coverage!.files[0]!;
    // DA 5 and 6 were 0 in the unit record and hit in the integration record
    expect(math.lines).toEqual({ covered: 4, total: 5, pct: 80 });
    expect(math.functions).toEqual({ covered: 2, total: 2, pct: 100 });
    expect(math.branches?.covered).toBe(1);
    expect(math.branches?.total).toBe(3);
    expect(coverage!.files[1]!.branches).toBeUndefined();
    expect(coverage!.lines).toEqual({ covered: 6, total: 7, pct: (6 / 7) * 100 });
    expect(coverage!.functions).toEqual({ covered: 2, total: 2, pct: 100 });
  });

  it('sniffs TN:/SF: starts and not other text', () => {
    expect(lcovParser.sniff('TN:\nSF:src/a.ts\nDA:1,1\n')).toBe(true);
    expect(lcovParser.sniff('SF:/abs/a.dart\nDA:1,1\n')).toBe(true);
    expect(lcovParser.sniff('TAP version 13\nok 1 - SF:x\n')).toBe(false);
    expect(lcovParser.sniff('{"SF": 1}')).toBe(false);
  });

  it('reports a record without end_of_record as truncated', async () => {
    await expect(lcovParser.parse(fx('truncated.lcov.info'), { displayPath: 'cov/lcov.info' })).rejects.toMatchObject({
      code: 'EVIDENCE_TRUNCATED',
      file: 'cov/lcov.info',
    });
  });

  it('rejects lines that are not KEY:value with their line number', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-lcov-'));
    dirs.push(dir);
    const p = join(dir, 'lcov.info');
    await writeFile(p, 'TN:\nSF:a.js\nDA:1,1\nthis is not lcov\nend_of_record\n');
    await expect(lcovParser.parse(p, { displayPath: 'lcov.info' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { line: 4 } });
    await writeFile(p, 'TN:\nSF:a.js\nDA:1,lots\nend_of_record\n');
    await expect(lcovParser.parse(p, { displayPath: 'lcov.info' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { line: 3 } });
    await writeFile(p, 'TN:\n');
    await expect(lcovParser.parse(p, { displayPath: 'lcov.info' })).rejects.toMatchObject({ code: 'EVIDENCE_EMPTY' });
  });

  it("reads what node's own lcov reporter writes", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-lcov-node-'));
    dirs.push(dir);
    await writeFile(join(dir, 'lib.mjs'), 'export function used(a) {\n  if (a > 1) return a;\n  return 0;\n}\nexport function unused() {\n  return 42;\n}\n');
    await writeFile(
      join(dir, 'lib.test.mjs'),
      "import test from 'node:test';\nimport assert from 'node:assert';\nimport { used } from './lib.mjs';\ntest('used', () => { assert.equal(used(2), 2); });\n",
    );
    await promisify(execFile)(
      process.execPath,
      ['--test', '--experimental-test-coverage', '--test-reporter=lcov', '--test-reporter-destination=lcov.info', 'lib.test.mjs'],
      { cwd: dir },
    );
    expect(await readdir(dir)).toContain('lcov.info');
    const { coverage } = await lcovParser.parse(join(dir, 'lcov.info'), { displayPath: 'lcov.info' });
    const lib = coverage!.files.find((f) => f.file.endsWith('lib.mjs'));
    expect(lib).toBeDefined();
    expect(lib!.functions).toEqual({ covered: 1, total: 2, pct: 50 });
    // `return 0`, and the body of unused() never ran
    expect(lib!.lines!.total).toBe(7);
    expect(lib!.lines!.covered).toBeLessThan(7);
    expect(lib!.lines!.covered).toBeGreaterThan(0);
  });
});
