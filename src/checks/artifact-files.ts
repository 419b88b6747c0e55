/**
 * Artifact checks: the files a gate promises to produce exist, have a plausible size, and (when
 * pinned) the expected content. Every match is hashed, streaming, so the run records exactly what
 * was released.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactConfig } from '../config/types.js';
import type { ArtifactRecord, Check } from '../model/types.js';
import { formatBytes } from '../util/size-format.js';

/** sha256 (hex) of a file, read as a stream so large artifacts never sit in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Paths inside cwd are shown relative to it; others absolute. */
function shown(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

async function matches(pattern: string, cwd: string): Promise<string[]> {
  // tinyglobby does not walk above cwd for `../` patterns, so those are anchored; others stay
  // relative, so glob characters in the cwd path itself are never taken as a pattern.
  const anchored = /^\.\.(\/|$)/.test(pattern) ? resolve(cwd, pattern) : pattern;
  // A pattern naming a directory must not silently stand for "every file below it".
  // Loaded here, not with the config schema every command reads (it costs more than `validate`).
  const { glob } = await import('tinyglobby');
  const found = await glob(anchored, { cwd, absolute: true, onlyFiles: true, dot: true, followSymbolicLinks: true, expandDirectories: false });
  return found.sort();
}

function sizeChecks(a: ArtifactConfig, file: string, size: number): Check[] {
  const name = `artifact ${file} size`;
  const checks: Check[] = [];
  if (a.minSize !== undefined) {
    const ok = size >= a.minSize;
    checks.push({
      check: name,
      expected: `>= ${formatBytes(a.minSize)}`,
      actual: formatBytes(size),
      operator: '>=',
      ok,
      ...(ok ? {} : { message: `${formatBytes(size)} < min ${formatBytes(a.minSize)}` }),
    });
  } else if (size === 0 && a.maxSize === undefined) {
    // An empty artifact is almost always a failed build that still created the file.
    checks.push({
      check: name,
      expected: '> 0 B',
      actual: 'empty file',
      operator: '>',
      ok: false,
      message: 'the file is empty; set min-size: 0 if an empty file is expected',
    });
  }
  if (a.maxSize !== undefined) {
    const ok = size <= a.maxSize;
    checks.push({
      check: name,
      expected: `<= ${formatBytes(a.maxSize)}`,
      actual: formatBytes(size),
      operator: '<=',
      ok,
      ...(ok ? {} : { message: `${formatBytes(size)} > max ${formatBytes(a.maxSize)}` }),
    });
  }
  return checks;
}

/** File systems stamp times from a coarse clock: a file written just after the start may look a little older. */
const MTIME_SLACK_MS = 1000;
/** A file stamped further in the future than this was not written by this run's clock. */
const FUTURE_SLACK_MS = 5 * 60_000;

/**
 * Was the file written during this run? Yesterday's tar in `dist/` must never pass for today's
 * build; a file from the future cannot be proven fresh either.
 */
function freshnessCheck(file: string, mtimeMs: number, f: { notBeforeMs: number; nowMs: number }): Check {
  const at = new Date(mtimeMs).toISOString();
  const name = `artifact ${file} written during this run`;
  const expected = `written at or after ${new Date(f.notBeforeMs).toISOString()}`;
  if (mtimeMs > f.nowMs + FUTURE_SLACK_MS) {
    return { check: name, expected, actual: `stamped ${at}, in the future`, ok: false, message: 'a file stamped in the future cannot be proven fresh; check the clock of the machine that wrote it' };
  }
  if (mtimeMs < f.notBeforeMs - MTIME_SLACK_MS) {
    return {
      check: name,
      expected,
      actual: `last written ${at}, before this run started`,
      ok: false,
      message: 'it is left over from an earlier build: the gate did not produce it this time (set `fresh: false` on the artifact if it comes from outside the run)',
    };
  }
  return { check: name, expected, actual: `written ${at}`, ok: true };
}

/**
 * Check every declared artifact against the files under `cwd`. Each pattern gives an existence
 * check; each matching file its size, freshness and sha256 checks, and a record of path, size and
 * sha256. `notBeforeMs`: the run's start; files of artifacts with `fresh` (the default) must be newer.
 */
export async function checkArtifacts(
  artifacts: ArtifactConfig[],
  cwd: string,
  opts: { notBeforeMs?: number; nowMs?: number } = {},
): Promise<{ checks: Check[]; files: ArtifactRecord[] }> {
  const checks: Check[] = [];
  const files: ArtifactRecord[] = [];
  for (const a of artifacts) {
    let found: string[];
    try {
      found = await matches(a.path, cwd);
    } catch (e) {
      checks.push({ check: `artifact ${a.path}`, expected: 'at least one file', actual: `cannot search: ${(e as Error).message}`, ok: false });
      continue;
    }
    checks.push({
      check: `artifact ${a.path}`,
      expected: 'at least one file',
      actual: found.length === 0 ? 'no file matches' : found.length === 1 ? '1 file' : `${found.length} files`,
      ok: found.length > 0,
    });
    let freshCount = 0;
    for (const abs of found) {
      const file = shown(cwd, abs);
      let size: number;
      let mtimeMs: number;
      let sha256: string;
      try {
        ({ size, mtimeMs } = await stat(abs));
        sha256 = await sha256File(abs);
      } catch (e) {
        checks.push({ check: `artifact ${file}`, expected: 'a readable file', actual: (e as Error).message, ok: false });
        continue;
      }
      files.push({ path: file, size, sha256 });
      for (const c of sizeChecks(a, file, size)) checks.push(c);
      if (a.fresh && opts.notBeforeMs !== undefined) {
        const fresh = freshnessCheck(file, mtimeMs, { notBeforeMs: opts.notBeforeMs, nowMs: opts.nowMs ?? Date.now() });
        // Stale files are named one by one; fresh ones are summed up per pattern below.
        if (fresh.ok) freshCount++;
        else checks.push(fresh);
      }
      if (a.sha256 !== undefined) {
        const want = a.sha256.trim().toLowerCase();
        checks.push({ check: `artifact ${file} sha256`, expected: want, actual: sha256, operator: '==', ok: sha256 === want });
      }
    }
    if (freshCount > 0) {
      checks.push({ check: `artifact ${a.path} written during this run`, expected: 'every file written during this run', actual: `${freshCount} file${freshCount === 1 ? '' : 's'} written during this run`, ok: true });
    }
  }
  return { checks, files };
}
