import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sonarCoverageParser } from './sonar-coverage.js';
import { coberturaParser } from './cobertura.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/coverage', name);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('sonar generic coverage', () => {
  it('counts lineToCover and branches per file', async () => {
    const { coverage } = await sonarCoverageParser.parse(fx('gcovr.sonar.xml'), { displayPath: 'coverage.xml' });
    expect(coverage!.files).toEqual([
      { file: 'src/main.cpp', lines: { covered: 2, total: 3, pct: (2 / 3) * 100 }, branches: { covered: 3, total: 4, pct: 75 } },
      { file: 'src/util.cpp', lines: { covered: 0, total: 1, pct: 0 }, branches: { covered: 0, total: 2, pct: 0 } },
    ]);
    expect(coverage!.lines).toEqual({ covered: 2, total: 4, pct: 50 });
    expect(coverage!.branches).toEqual({ covered: 3, total: 6, pct: 50 });
  });

  it('is told apart from Cobertura by sniffing', () => {
    const head = "<?xml version='1.0' encoding='UTF-8'?>\n<coverage version=\"1\"><file path=\"main.cpp\">";
    expect(sonarCoverageParser.sniff(head)).toBe(true);
    expect(coberturaParser.sniff(head)).toBe(false);
  });

  it('rejects a covered value that is not true/false', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-sonar-'));
    dirs.push(dir);
    const p = join(dir, 'c.xml');
    await writeFile(p, '<coverage version="1">\n<file path="a.c">\n<lineToCover lineNumber="1" covered="yes"/></file></coverage>');
    await expect(sonarCoverageParser.parse(p, { displayPath: 'c.xml' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { line: 3 } });
  });
});
