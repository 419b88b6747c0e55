/**
 * Coverage that claims more covered than there is to cover (LH > LF, lines-covered > lines-valid,
 * condition-coverage "(5/2)", negative JaCoCo counters, Istanbul covered > total, Sonar
 * coveredBranches > branchesToCover) is EVIDENCE_MALFORMED naming the file and the record — never
 * a coverage above 100 %. Each hostile file sits next to the nearest honest one, which must parse.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceError } from '../src/errors.js';
import type { EvidenceFormat, EvidencePart } from '../src/evidence/model.js';
import { parserFor } from '../src/evidence/registry.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-cov-bounds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function parse(format: EvidenceFormat, text: string): Promise<EvidencePart> {
  const p = join(dir, `c${n++}`);
  await writeFile(p, text);
  return parserFor(format).parse(p, { displayPath: 'cov/report' });
}

async function refused(format: EvidenceFormat, text: string): Promise<EvidenceError> {
  const err = await parse(format, text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${format} accepted more covered than total`).toBeInstanceOf(EvidenceError);
  const e = err as EvidenceError;
  expect(e.code).toBe('EVIDENCE_MALFORMED');
  expect(e.file).toBe('cov/report');
  expect(e.message).toContain('cov/report');
  return e;
}

const lcov = (summary: string): string => `TN:\nSF:src/a.js\n${summary}\nend_of_record\n`;

describe('LCOV', () => {
  it('LH > LF, BRH > BRF, FNH > FNF in a record are malformed, naming the record', async () => {
    const lh = await refused('lcov', lcov('LF:10\nLH:50'));
    expect(lh.message).toContain('SF:src/a.js');
    expect(lh.message).toContain('LH:50 but LF:10');
    expect(lh.location?.line).toBe(5);
    expect((await refused('lcov', lcov('DA:1,1\nDA:2,0\nLF:2\nLH:1\nBRF:2\nBRH:3'))).message).toContain('BRH:3 but BRF:2');
    expect((await refused('lcov', lcov('FNF:1\nFNH:2'))).message).toContain('FNH:2 but FNF:1');
    // the second record is the bad one
    const second = await refused('lcov', `${lcov('LF:2\nLH:2')}SF:src/b.js\nLF:1\nLH:4\nend_of_record\n`);
    expect(second.message).toContain('SF:src/b.js (from line 6)');
  });

  it('honest: LH == LF and summaries without detail still read', async () => {
    const part = await parse('lcov', lcov('LF:10\nLH:10\nBRF:4\nBRH:1\nFNF:2\nFNH:0'));
    expect(part.coverage).toMatchObject({ lines: { covered: 10, total: 10, pct: 100 }, branches: { covered: 1, total: 4 }, functions: { covered: 0, total: 2 } });
  });
});

const cobertura = (root: string, line: string): string =>
  `<?xml version="1.0"?>\n<coverage line-rate="0.5" branch-rate="0.5" ${root} version="7.3" timestamp="1">\n<packages><package name="a"><classes><class name="a.py" filename="a.py" line-rate="1"><lines>\n${line}\n</lines></class></classes></package></packages></coverage>\n`;

describe('Cobertura', () => {
  it('lines-covered > lines-valid and branches-covered > branches-valid on <coverage> are malformed', async () => {
    const e = await refused('cobertura', cobertura('lines-valid="2" lines-covered="10" branches-valid="0" branches-covered="0"', '<line number="1" hits="1"/>'));
    expect(e.message).toContain('lines-covered="10" but lines-valid="2"');
    expect(e.location?.line).toBe(2);
    expect((await refused('cobertura', cobertura('lines-valid="2" lines-covered="1" branches-valid="2" branches-covered="5"', '<line number="1" hits="1"/>'))).message).toContain(
      'branches-covered="5" but branches-valid="2"',
    );
  });

  it('a condition-coverage of "50% (5/2)" is malformed, naming the line', async () => {
    const e = await refused('cobertura', cobertura('lines-valid="1" lines-covered="1"', '<line number="7" hits="3" branch="true" condition-coverage="50% (5/2)"/>'));
    expect(e.message).toContain('<line number="7"> has condition-coverage="50% (5/2)"');
    expect(e.location?.line).toBe(4);
  });

  it('honest: equal counts and a full condition coverage read', async () => {
    const part = await parse('cobertura', cobertura('lines-valid="1" lines-covered="1" branches-valid="2" branches-covered="2"', '<line number="7" hits="3" branch="true" condition-coverage="100% (2/2)"/>'));
    expect(part.coverage).toMatchObject({ lines: { covered: 1, total: 1 }, branches: { covered: 2, total: 2, pct: 100 } });
  });
});

const jacoco = (counter: string): string =>
  `<?xml version="1.0"?>\n<report name="x"><package name="a"><class name="a/A"><method name="m" desc="()V" line="1">${counter}</method></class>` +
  '<sourcefile name="A.java"><line nr="1" mi="0" ci="3" mb="0" cb="0"/><counter type="LINE" missed="0" covered="1"/></sourcefile></package>' +
  '<counter type="LINE" missed="0" covered="1"/></report>\n';

describe('JaCoCo', () => {
  it('a negative counter anywhere (even on a method) is malformed', async () => {
    const e = await refused('jacoco', jacoco('<counter type="LINE" missed="-4" covered="5"/>'));
    expect(e.message).toContain('missed="-4"');
    expect(e.location?.line).toBe(2);
  });

  it('honest: non-negative counters read', async () => {
    const part = await parse('jacoco', jacoco('<counter type="LINE" missed="0" covered="1"/>'));
    expect(part.coverage?.lines).toMatchObject({ covered: 1, total: 1, pct: 100 });
  });
});

describe('Istanbul summary', () => {
  const summary = (lines: string): string =>
    `{"total": {"lines": ${lines}, "statements": {"total": 4, "covered": 4, "skipped": 0, "pct": 100}},\n "src/a.js": {"lines": ${lines}}}`;

  it('covered > total is malformed, naming the entry', async () => {
    const e = await refused('istanbul-summary', summary('{"total": 2, "covered": 10, "skipped": 0, "pct": 500}'));
    expect(e.message).toContain('"total".lines has covered 10 but total 2');
  });

  it('honest: covered == total reads as 100 %', async () => {
    const part = await parse('istanbul-summary', summary('{"total": 2, "covered": 2, "skipped": 0, "pct": 100}'));
    expect(part.coverage?.lines).toMatchObject({ covered: 2, total: 2, pct: 100 });
  });
});

describe('SonarQube generic coverage', () => {
  const sonar = (attrs: string): string => `<?xml version="1.0"?>\n<coverage version="1">\n<file path="src/a.c">\n<lineToCover lineNumber="3" covered="true" ${attrs}/>\n</file>\n</coverage>\n`;

  it('coveredBranches > branchesToCover is malformed (it used to be clamped), naming the line', async () => {
    const e = await refused('sonar-coverage', sonar('branchesToCover="2" coveredBranches="5"'));
    expect(e.message).toContain('<lineToCover lineNumber="3"> has coveredBranches="5" but branchesToCover="2"');
    expect(e.location?.line).toBe(4);
  });

  it('honest: coveredBranches == branchesToCover reads', async () => {
    const part = await parse('sonar-coverage', sonar('branchesToCover="2" coveredBranches="2"'));
    expect(part.coverage?.branches).toMatchObject({ covered: 2, total: 2, pct: 100 });
  });
});
