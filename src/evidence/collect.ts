/**
 * Turn a gate's declared reports into its evidence. Globs expand relative to the gate's cwd; each
 * file is checked (present, non-empty, text, a known format), parsed, and merged. Nothing here
 * throws for a bad report: every problem is recorded on its `ReportRead` with a stable code, so
 * the gate fails naming the file while the other reports still count.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { ReportSpec } from '../config/types.js';
import { EvidenceError, ShipgateError } from '../errors.js';
import type { Coverage, CoverageCounter, Evidence, EvidenceFormat, EvidencePart, FileCoverage, ReportRead, TestResult } from './model.js';
import { EVIDENCE_FORMATS, emptyEvidence } from './model.js';
import { parserFor } from './registry.js';
import { decodeHead, fileStat, HEAD_BYTES, readHead } from './read.js';
import { sniffText } from './sniff.js';

/** Default per-file ceiling; a report bigger than this is refused rather than read. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

const MISSING_HINT = "the gate's command did not write it; check the tool's output option";

function toRead(path: string, err: unknown, format?: EvidenceFormat): ReportRead {
  const read: ReportRead = { path, ok: false };
  if (format) read.format = format;
  if (err instanceof ShipgateError) {
    read.error = { code: err.code, message: err.hint ? `${err.message} (${err.hint})` : err.message };
  } else {
    // A parser bug must still fail the gate, never pass it.
    const msg = err instanceof Error ? err.message : String(err);
    read.error = { code: 'EVIDENCE_UNREADABLE', message: `report ${path} could not be parsed: ${msg}` };
  }
  return read;
}

/**
 * File systems stamp times from a coarse clock; a report written right after the command started
 * can carry an mtime a little before the start we measured.
 */
const MTIME_SLACK_MS = 1000;
/** A file stamped further in the future than this was not written by this run's clock: suspect. */
export const FUTURE_SLACK_MS = 5 * 60_000;

/** When a report must have been written: not before `notBeforeMs`, not older than `maxAgeMs` before `nowMs`. */
export interface Freshness {
  notBeforeMs?: number;
  maxAgeMs?: number;
  nowMs: number;
}

function staleness(mtimeMs: number, display: string, f: Freshness, spec: ReportSpec): EvidenceError | undefined {
  const at = new Date(mtimeMs).toISOString();
  if (mtimeMs > f.nowMs + FUTURE_SLACK_MS) {
    return new EvidenceError('EVIDENCE_STALE', display, `report ${display} is stamped ${at}, in the future: it was not written by this run`, {
      hint: "check the clock of the machine that wrote it; a file from the future cannot be proven fresh",
    });
  }
  if (f.notBeforeMs !== undefined && mtimeMs < f.notBeforeMs - MTIME_SLACK_MS) {
    return new EvidenceError('EVIDENCE_STALE', display, `report ${display} was last written ${at}, before this gate started: it is left over from an earlier run`, {
      hint: "the gate's command did not write it this time; check the tool's output option, and delete old reports before running",
    });
  }
  const maxAge = spec.maxAgeMs ?? f.maxAgeMs;
  if (maxAge !== undefined && mtimeMs < f.nowMs - maxAge) {
    return new EvidenceError('EVIDENCE_STALE', display, `report ${display} was last written ${at}, more than ${Math.round(maxAge / 60_000)} min ago (max-age): it is too old to stand for this run`, {
      hint: 'produce it again before the gate runs, or raise `max-age` on the gate or the report if older evidence is acceptable',
    });
  }
  return undefined;
}

async function readOne(
  abs: string,
  display: string,
  spec: ReportSpec,
  maxBytes: number,
  fresh: Freshness,
  onTest: ((t: TestResult) => void) | undefined,
): Promise<{ read: ReportRead; part?: EvidencePart }> {
  let format: EvidenceFormat | undefined = spec.format;
  let mtime: number | undefined;
  try {
    const { size, mtimeMs } = await fileStat(abs, display);
    mtime = mtimeMs;
    const stale = staleness(mtimeMs, display, fresh, spec);
    if (stale) throw stale;
    if (size === 0) {
      throw new EvidenceError('EVIDENCE_EMPTY', display, `report ${display} is empty (0 bytes)`, {
        hint: 'the tool ran but wrote nothing; check that it finished and that its output option points here',
      });
    }
    if (size > maxBytes) {
      throw new EvidenceError('EVIDENCE_TOO_LARGE', display, `report ${display} is ${size} bytes, over the ${maxBytes}-byte limit`, {
        hint: 'split the report or raise the limit',
      });
    }
    if (!format) {
      const head = decodeHead(await readHead(abs, HEAD_BYTES));
      const accepted = EVIDENCE_FORMATS.join(', ');
      if (head === undefined) {
        throw new EvidenceError('EVIDENCE_UNKNOWN_FORMAT', display, `report ${display} is binary data (NUL bytes or not UTF-8), not a report in a known format`, {
          hint: `accepted formats: ${accepted}`,
        });
      }
      if (head.trim() === '') {
        throw new EvidenceError('EVIDENCE_EMPTY', display, `report ${display} holds only whitespace`, {
          hint: 'the tool ran but wrote nothing; check that it finished and that its output option points here',
        });
      }
      format = sniffText(head);
      if (!format) {
        throw new EvidenceError('EVIDENCE_UNKNOWN_FORMAT', display, `report ${display} is not in a format shipgate recognises`, {
          hint: `accepted formats: ${accepted}; set \`format:\` on the report if it is one of them`,
        });
      }
    }
    const part = await parserFor(format).parse(abs, onTest ? { displayPath: display, onTest } : { displayPath: display });
    return { read: { path: display, format, ok: true, mtimeMs }, part };
  } catch (err) {
    const read = toRead(display, err, format);
    return { read: mtime === undefined ? read : { ...read, mtimeMs: mtime } };
  }
}

/**
 * Reports that give absolute file paths (PHPUnit, some pytest setups) would make ids differ
 * between machines; under the gate's cwd they become relative, in the id too. In place: the
 * parser's result is fresh and ours, and a copy per test is what a million tests cannot afford.
 */
function relativizeTest(t: TestResult, cwd: string, cache: Map<string, string | null>): void {
  const file = t.file;
  if (!file || !isAbsolute(file)) return;
  let rel = cache.get(file);
  if (rel === undefined) {
    const r = relative(cwd, file).split('\\').join('/');
    rel = r.startsWith('..') || isAbsolute(r) ? null : r;
    if (cache.size < 10_000) cache.set(file, rel);
  }
  if (rel === null) return;
  const to = rel;
  const swap = (s: string): string => (s === file ? to : s.startsWith(`${file}::`) ? to + s.slice(file.length) : s);
  t.file = to;
  t.suite = swap(t.suite);
  t.id = swap(t.id);
}

function counter(covered: number, total: number): CoverageCounter {
  return { covered, total, pct: total === 0 ? null : (covered / total) * 100 };
}

const KINDS = ['lines', 'branches', 'functions', 'statements'] as const;

/**
 * Merge several coverage reports: per file, counters add up (reports from separate test runs
 * over different files); totals are recomputed from the merged files, or summed when a report
 * carries totals only.
 */
export function mergeCoverage(parts: Coverage[]): Coverage | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  const byFile = new Map<string, FileCoverage>();
  for (const c of parts) {
    for (const f of c.files) {
      const acc = byFile.get(f.file) ?? { file: f.file };
      for (const k of KINDS) {
        const add = f[k];
        if (!add) continue;
        const prev = acc[k];
        // The same file in two reports: take the larger covered count of the two (overlapping
        // runs cover a superset); different totals mean different instrumentation, keep the max.
        acc[k] = prev ? counter(Math.max(prev.covered, add.covered), Math.max(prev.total, add.total)) : add;
      }
      byFile.set(f.file, acc);
    }
  }
  const files = [...byFile.values()];
  const merged: Coverage = { files };
  for (const k of KINDS) {
    let covered = 0;
    let total = 0;
    let any = false;
    if (files.some((f) => f[k])) {
      for (const f of files) {
        const c = f[k];
        if (c) {
          covered += c.covered;
          total += c.total;
          any = true;
        }
      }
      // Reports without per-file data still count through their totals.
      for (const c of parts) {
        if (c.files.length === 0 && c[k]) {
          covered += c[k].covered;
          total += c[k].total;
        }
      }
    } else {
      for (const c of parts) {
        const t = c[k];
        if (t) {
          covered += t.covered;
          total += t.total;
          any = true;
        }
      }
    }
    if (any) merged[k] = counter(covered, total);
  }
  return merged;
}

export interface CollectOptions {
  maxFileBytes?: number;
  notBeforeMs?: number;
  maxAgeMs?: number;
  nowMs?: number;
  /**
   * Receives every test (its `source` set, its file relative to the cwd) instead of
   * `Evidence.tests`, which then stays empty: streamed from the parser where the format allows,
   * so a huge report is never held whole.
   */
  onTest?: (t: TestResult) => void;
  /** A report file is about to be read: its tests, if any, follow. */
  onReportStart?: (path: string) => void;
  /**
   * A report file was read (`ok`), or failed: then every test it handed over must be forgotten,
   * as a report that failed contributes no tests.
   */
  onReportEnd?: (path: string, ok: boolean) => void;
}

/**
 * Read every declared report (globs relative to `cwd`) into one `Evidence`. Never throws for bad
 * reports. `notBeforeMs`: reports must have been written since then (the gate's command start), so a
 * report left over from an earlier run can never stand in for one this run failed to write.
 * `maxAgeMs`: reports from outside the run may be at most this old (a report entry's own `max-age`
 * wins). A file stamped more than 5 minutes in the future is refused like an old one.
 */
export async function collectEvidence(reports: ReportSpec[], cwd: string, opts: CollectOptions = {}): Promise<Evidence> {
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const fresh: Freshness = { notBeforeMs: opts.notBeforeMs, maxAgeMs: opts.maxAgeMs, nowMs: opts.nowMs ?? Date.now() };
  const ev = emptyEvidence();
  const coverages: Coverage[] = [];
  const seen = new Set<string>();
  const relCache = new Map<string, string | null>();
  const sink = opts.onTest;

  for (const spec of reports) {
    let files: string[];
    if (isDynamicPattern(spec.path)) {
      files = (await glob(spec.path, { cwd, absolute: true, onlyFiles: true, dot: true, expandDirectories: false })).sort();
      if (files.length === 0) {
        ev.reports.push({
          path: spec.path,
          ok: false,
          error: { code: 'EVIDENCE_MISSING', message: `no file matches report pattern ${spec.path} (${MISSING_HINT})` },
        });
        continue;
      }
    } else {
      files = [resolve(cwd, spec.path)];
    }
    for (const abs of files) {
      if (seen.has(abs)) continue;
      seen.add(abs);
      const rel = relative(cwd, abs);
      const display = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : abs;
      const take = (t: TestResult): void => {
        t.source = display;
        relativizeTest(t, cwd, relCache);
        if (sink) sink(t);
        else ev.tests.push(t);
      };
      opts.onReportStart?.(display);
      const { read, part } = await readOne(abs, display, spec, maxBytes, fresh, sink ? take : undefined);
      ev.reports.push(read);
      // Formats that do not stream return their tests: they reach the sink here.
      if (part?.tests) for (const t of part.tests) take(t);
      opts.onReportEnd?.(display, read.ok);
      if (!part) continue;
      if (part.coverage) coverages.push(part.coverage);
      // A loop, not push(...findings): a spread of a million findings overflows the call stack.
      if (part.findings) for (const f of part.findings) ev.findings.push(f);
      if (part.metrics) for (const m of part.metrics) ev.metrics.push(m.source ? m : { ...m, source: display });
      if (part.thresholds) for (const t of part.thresholds) ev.thresholds.push(t.source ? t : { ...t, source: display });
    }
  }
  const coverage = mergeCoverage(coverages);
  if (coverage) ev.coverage = coverage;
  return ev;
}
