/**
 * LCOV tracefiles (`lcov`, c8/istanbul `lcov`, node:test `--test-reporter=lcov`, flutter, gcov).
 * Streamed line by line. Figures are counted from the detail lines (DA, BRDA, FN/FNDA, FNA) when a
 * record has them; the summary lines (LF/LH, BRF/BRH, FNF/FNH) are used only for kinds a record
 * gives no detail for. Records for the same source file (one per test name) are merged.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FileCoverage, FormatParser } from './model.js';
import { LineHits, counter, totalsFromFiles } from './coverage-math.js';
import { fileSize, readLines } from './read.js';

interface FileAcc {
  lines: LineHits;
  /** Branch key `line,block,branch` → taken. */
  branches: Map<string, number>;
  /** Function name (or FNA index) → hits. */
  functions: Map<string, number>;
  /** Summary-line fallbacks, summed over records without detail lines. */
  summary: { lf?: number; lh?: number; brf?: number; brh?: number; fnf?: number; fnh?: number };
  hasDa: boolean;
}

function newAcc(): FileAcc {
  return { lines: new LineHits(), branches: new Map(), functions: new Map(), summary: {}, hasDa: false };
}

function fileCoverage(file: string, acc: FileAcc): FileCoverage {
  const fc: FileCoverage = { file };
  const s = acc.summary;
  if (acc.hasDa) fc.lines = acc.lines.lines();
  else if (s.lf !== undefined) fc.lines = counter(s.lh ?? 0, s.lf);
  else fc.lines = counter(0, 0);
  if (acc.branches.size > 0) {
    let hit = 0;
    for (const t of acc.branches.values()) if (t > 0) hit++;
    fc.branches = counter(hit, acc.branches.size);
  } else if (s.brf !== undefined) fc.branches = counter(s.brh ?? 0, s.brf);
  if (acc.functions.size > 0) {
    let hit = 0;
    for (const h of acc.functions.values()) if (h > 0) hit++;
    fc.functions = counter(hit, acc.functions.size);
  } else if (s.fnf !== undefined) fc.functions = counter(s.fnh ?? 0, s.fnf);
  return fc;
}

async function parse(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  if ((await fileSize(path, displayPath)) === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} is empty (0 bytes)`, {
      hint: 'the tool ran but wrote nothing; check that coverage was enabled and written here',
    });
  }
  const files = new Map<string, FileAcc>();
  let current: FileAcc | undefined;
  let currentHasDetail = { fn: false, br: false };
  /** This record's summary lines, checked at its end_of_record (covered can never exceed total). */
  let recordSummary: Partial<Record<'LF' | 'LH' | 'BRF' | 'BRH' | 'FNF' | 'FNH', number>> = {};
  let recordFile = '';
  let recordLine = 0;
  let lastLine = 0;

  const bad = (lineNo: number, why: string): EvidenceError =>
    new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}:${lineNo}: ${why}`, {
      line: lineNo,
      hint: 'the file is not an LCOV tracefile, or it was damaged',
    });
  const nums = (lineNo: number, key: string, value: string, count: number): number[] => {
    const parts = value.split(',');
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = parts[i]?.trim();
      // BRDA writes `-` for a branch whose condition was never evaluated: taken 0 times.
      const n = p === '-' ? 0 : Number(p);
      if (p === undefined || p === '' || !Number.isFinite(n) || n < 0) throw bad(lineNo, `${key}:${value} is not valid (expected ${count} numbers)`);
      out.push(n);
    }
    return out;
  };

  for await (const { text, lineNo } of readLines(path, { displayPath })) {
    lastLine = lineNo;
    const line = text.trim();
    if (line === '') continue;
    if (line === 'end_of_record') {
      if (!current) throw bad(lineNo, 'end_of_record without a preceding SF: line');
      for (const [hit, found] of [['LH', 'LF'], ['BRH', 'BRF'], ['FNH', 'FNF']] as const) {
        const h = recordSummary[hit];
        const f = recordSummary[found];
        if (h !== undefined && f !== undefined && h > f) {
          throw bad(lineNo, `the record for SF:${recordFile} (from line ${recordLine}) says ${hit}:${h} but ${found}:${f}: more covered than there is to cover`);
        }
      }
      current = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[A-Z]+$/.test(line.slice(0, colon))) {
      throw bad(lineNo, `unexpected line "${line.slice(0, 60)}" (LCOV lines are KEY:value)`);
    }
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key === 'TN' || key === 'VER') continue;
    if (key === 'SF') {
      if (current) throw bad(lineNo, `SF:${value} starts a record before the previous one ended (missing end_of_record)`);
      current = files.get(value) ?? newAcc();
      files.set(value, current);
      currentHasDetail = { fn: false, br: false };
      recordSummary = {};
      recordFile = value;
      recordLine = lineNo;
      continue;
    }
    if (!current) throw bad(lineNo, `${key}: outside a record (no SF: line before it)`);
    const acc = current;
    switch (key) {
      case 'DA': {
        const [ln, hits] = nums(lineNo, key, value, 2) as [number, number];
        acc.lines.addLine(ln, hits);
        acc.hasDa = true;
        break;
      }
      case 'BRDA': {
        const parts = value.split(',');
        if (parts.length < 4) throw bad(lineNo, `BRDA:${value} needs line,block,branch,taken`);
        const taken = nums(lineNo, key, parts[3]!, 1)[0]!;
        const k = parts.slice(0, 3).join(',');
        acc.branches.set(k, Math.max(acc.branches.get(k) ?? 0, taken));
        currentHasDetail.br = true;
        break;
      }
      case 'FN': {
        // FN:<line>,<name> (lcov 1.x) or FN:<start>,<end>,<name> (lcov 2.x)
        const name = value.slice(value.lastIndexOf(',') + 1);
        if (!acc.functions.has(name)) acc.functions.set(name, 0);
        currentHasDetail.fn = true;
        break;
      }
      case 'FNDA': {
        const comma = value.indexOf(',');
        const hits = nums(lineNo, key, value.slice(0, comma), 1)[0]!;
        const name = value.slice(comma + 1);
        acc.functions.set(name, Math.max(acc.functions.get(name) ?? 0, hits));
        currentHasDetail.fn = true;
        break;
      }
      case 'FNA': {
        // lcov 2.x: FNA:<index>,<hits>,<name>
        const parts = value.split(',');
        const hits = nums(lineNo, key, parts[1] ?? '', 1)[0]!;
        const name = parts.slice(2).join(',');
        acc.functions.set(name, Math.max(acc.functions.get(name) ?? 0, hits));
        currentHasDetail.fn = true;
        break;
      }
      case 'LF':
      case 'LH':
      case 'BRF':
      case 'BRH':
      case 'FNF':
      case 'FNH': {
        const n = nums(lineNo, key, value, 1)[0]!;
        recordSummary[key] = (recordSummary[key] ?? 0) + n;
        if ((key === 'BRF' || key === 'BRH') && currentHasDetail.br) break;
        if ((key === 'FNF' || key === 'FNH') && currentHasDetail.fn) break;
        const field = key.toLowerCase() as keyof FileAcc['summary'];
        acc.summary[field] = (acc.summary[field] ?? 0) + n;
        break;
      }
      default:
        // Other keys (FNL, LN, …) carry nothing the evidence model uses.
        break;
    }
  }

  if (current) {
    throw new EvidenceError('EVIDENCE_TRUNCATED', displayPath, `${displayPath}:${lastLine}: the last record has no end_of_record`, {
      line: lastLine,
      hint: 'the tool was probably killed while writing it; rerun the gate',
    });
  }
  if (files.size === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} has no SF: records`, {
      hint: 'no source file was instrumented; check the coverage include/exclude settings',
    });
  }
  const out = [...files].map(([file, acc]) => fileCoverage(file, acc));
  return { coverage: totalsFromFiles(out) };
}

export const lcovParser: FormatParser = {
  format: 'lcov',
  sniff: (head) => /^(TN:[^\n]*\r?\n\s*)?SF:\S/.test(head.trimStart()),
  parse,
};
