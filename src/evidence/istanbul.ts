/**
 * Istanbul JSON: `coverage-summary.json` (json-summary reporter) and `coverage-final.json` (json
 * reporter, the raw per-statement counts). Percentages are recomputed from covered/total: the
 * summary writes `"pct": "Unknown"` when a total is 0, and rounds otherwise.
 */
import { EvidenceError } from '../errors.js';
import type { CoverageCounter, EvidencePart, FileCoverage, FormatParser } from './model.js';
import { counter, totalsFromFiles } from './coverage-math.js';
import { readJson } from './read.js';
import { isObject } from './json-shape.js';

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function malformed(displayPath: string, what: string): EvidenceError {
  return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `${displayPath}: ${what}`, {
    hint: 'the file is not an Istanbul coverage report, or it was damaged',
  });
}

const SUMMARY_KINDS = ['lines', 'statements', 'functions', 'branches'] as const;

function summaryEntry(displayPath: string, key: string, entry: unknown): Omit<FileCoverage, 'file'> {
  if (!isObject(entry)) throw malformed(displayPath, `entry "${key}" is not an object`);
  const out: Omit<FileCoverage, 'file'> = {};
  for (const kind of SUMMARY_KINDS) {
    const c = entry[kind];
    if (c === undefined) continue;
    if (!isObject(c) || !isCount(c.total) || !isCount(c.covered)) {
      throw malformed(displayPath, `"${key}".${kind} needs integer total and covered (covered ≤ total)`);
    }
    if (c.covered > c.total) {
      throw malformed(displayPath, `"${key}".${kind} has covered ${c.covered} but total ${c.total}: more covered than there is to cover`);
    }
    out[kind] = counter(c.covered, c.total);
  }
  if (Object.keys(out).length === 0) throw malformed(displayPath, `entry "${key}" has none of lines/statements/functions/branches`);
  return out;
}

async function parseSummary(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  if (!isObject(doc) || !isObject(doc.total)) throw malformed(displayPath, 'no "total" object; not an Istanbul coverage-summary.json');
  const total = summaryEntry(displayPath, 'total', doc.total);
  const files: FileCoverage[] = [];
  for (const [key, entry] of Object.entries(doc)) {
    if (key === 'total') continue;
    files.push({ file: key, ...summaryEntry(displayPath, key, entry) });
  }
  // The summary's own total is what istanbul computed over every file, including ones the
  // per-file list may omit (`skipFull`); use it rather than re-adding the files.
  return { coverage: { ...total, files } };
}

function countMap(displayPath: string, file: string, field: string, v: unknown): CoverageCounter {
  if (!isObject(v)) throw malformed(displayPath, `"${file}".${field} is not an object of counts`);
  let covered = 0;
  let total = 0;
  for (const [k, n] of Object.entries(v)) {
    if (!isCount(n)) throw malformed(displayPath, `"${file}".${field}["${k}"] is not a count`);
    total++;
    if (n > 0) covered++;
  }
  return counter(covered, total);
}

function finalEntry(displayPath: string, key: string, entry: unknown): FileCoverage {
  if (!isObject(entry)) throw malformed(displayPath, `entry "${key}" is not an object`);
  // Some tools (older nyc merges) wrap the file coverage as {data: {...}}.
  const e = isObject(entry.data) && entry.statementMap === undefined ? entry.data : entry;
  const file = typeof e.path === 'string' ? e.path : key;
  if (!isObject(e.statementMap) || !isObject(e.s)) throw malformed(displayPath, `"${key}" has no statementMap/s`);
  const statements = countMap(displayPath, key, 's', e.s);

  // Line coverage the way istanbul derives it: a line is covered when a statement starting on it ran.
  const lineHits = new Map<number, number>();
  for (const [id, loc] of Object.entries(e.statementMap)) {
    const line = isObject(loc) && isObject(loc.start) ? loc.start.line : undefined;
    if (!isCount(line)) throw malformed(displayPath, `"${key}".statementMap["${id}"] has no start.line`);
    const hits = e.s[id];
    if (!isCount(hits)) throw malformed(displayPath, `"${key}".s["${id}"] is missing or not a count`);
    lineHits.set(line, Math.max(lineHits.get(line) ?? 0, hits));
  }
  let linesCovered = 0;
  for (const h of lineHits.values()) if (h > 0) linesCovered++;

  const fc: FileCoverage = { file, lines: counter(linesCovered, lineHits.size), statements };
  if (e.f !== undefined) fc.functions = countMap(displayPath, key, 'f', e.f);
  if (e.b !== undefined) {
    if (!isObject(e.b)) throw malformed(displayPath, `"${key}".b is not an object`);
    let covered = 0;
    let total = 0;
    for (const [id, arms] of Object.entries(e.b)) {
      if (!Array.isArray(arms) || !arms.every(isCount)) throw malformed(displayPath, `"${key}".b["${id}"] is not an array of counts`);
      for (const n of arms) {
        total++;
        if (n > 0) covered++;
      }
    }
    fc.branches = counter(covered, total);
  }
  return fc;
}

async function parseFinal(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const doc = await readJson(path, opts);
  if (!isObject(doc)) throw malformed(displayPath, 'not a JSON object keyed by file; not an Istanbul coverage-final.json');
  const files = Object.entries(doc).map(([k, v]) => finalEntry(displayPath, k, v));
  if (files.length === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} lists no files`, {
      hint: 'no source file was instrumented; check the coverage include/exclude settings',
    });
  }
  return { coverage: totalsFromFiles(files) };
}

export const istanbulSummaryParser: FormatParser = {
  format: 'istanbul-summary',
  sniff: (head) => /^\s*\{\s*"total"\s*:\s*\{/.test(head) && /"lines"\s*:\s*\{[^}]*"pct"/.test(head),
  parse: parseSummary,
};

export const istanbulFinalParser: FormatParser = {
  format: 'istanbul-final',
  sniff: (head) => /^\s*\{/.test(head) && /"statementMap"\s*:/.test(head) && /"fnMap"|"branchMap"|"s"\s*:/.test(head),
  parse: parseFinal,
};
