import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { coberturaParser } from './cobertura.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/coverage', name);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmpFile(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-cob-'));
  dirs.push(dir);
  const p = join(dir, 'coverage.xml');
  await writeFile(p, content);
  return p;
}

describe('cobertura', () => {
  it('counts <line> elements from coverage.py output, not the header attributes', async () => {
    const { coverage } = await coberturaParser.parse(fx('coveragepy.cobertura.xml'), { displayPath: 'coverage.xml' });
    expect(coverage!.lines).toEqual({ covered: 3, total: 5, pct: 60 });
    expect(coverage!.branches).toEqual({ covered: 1, total: 4, pct: 25 });
    expect(coverage!.functions).toBeUndefined();
    expect(coverage!.files).toEqual([
      { file: 'app/api.py', lines: { covered: 3, total: 5, pct: 60 }, branches: { covered: 1, total: 4, pct: 25 } },
      { file: 'app/empty.py', lines: { covered: 0, total: 0, pct: null } },
    ]);
  });

  it('reads a JS tool report with DOCTYPE and methods, without counting method lines twice', async () => {
    const { coverage } = await coberturaParser.parse(fx('js-tool.cobertura.xml'), { displayPath: 'cobertura-coverage.xml' });
    expect(coverage!.lines).toEqual({ covered: 3, total: 4, pct: 75 });
    expect(coverage!.branches).toEqual({ covered: 1, total: 2, pct: 50 });
    expect(coverage!.functions).toEqual({ covered: 1, total: 2, pct: 50 });
  });

  it('sniffs <coverage line-rate=…> only', () => {
    expect(coberturaParser.sniff('<?xml version="1.0" ?>\n<coverage version="7" line-rate="0.5">')).toBe(true);
    expect(coberturaParser.sniff('<coverage version="1"><file path="a">')).toBe(false);
    expect(coberturaParser.sniff('<testsuites><testsuite name="coverage">')).toBe(false);
  });

  it('fails closed on bad files', async () => {
    const cut = await tmpFile('<?xml version="1.0" ?>\n<coverage line-rate="1">\n<packages><package name="a"><classes><class filename="a.py">');
    await expect(coberturaParser.parse(cut, { displayPath: 'coverage.xml' })).rejects.toMatchObject({ code: 'EVIDENCE_TRUNCATED' });
    const badHits = await tmpFile('<coverage line-rate="1"><packages><package><classes><class filename="a.py"><lines><line number="1" hits="many"/></lines></class></classes></package></packages></coverage>');
    await expect(coberturaParser.parse(badHits, { displayPath: 'coverage.xml' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { line: 1 } });
    const otherDoctype = await tmpFile('<?xml version="1.0"?>\n<!DOCTYPE coverage SYSTEM "http://evil.example/x.dtd">\n<coverage line-rate="1"/>');
    await expect(coberturaParser.parse(otherDoctype, { displayPath: 'coverage.xml' })).rejects.toMatchObject({ code: 'EVIDENCE_UNSAFE' });
    const wrongRoot = await tmpFile('<report name="x"/>');
    await expect(coberturaParser.parse(wrongRoot, { displayPath: 'coverage.xml' })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED' });
  });
});
