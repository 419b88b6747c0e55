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
import { glob } from 'tinyglobby';
import type { ArtifactConfig } from '../config/types.js';
import type { ArtifactRecord, Check } from '../decide/types.js';
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

/**
 * Check every declared artifact against the files under `cwd`. Each pattern gives an existence
 * check; each matching file its size and sha256 checks, and a record of path, size and sha256.
 */
export async function checkArtifacts(
  artifacts: ArtifactConfig[],
  cwd: string,
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
    for (const abs of found) {
      const file = shown(cwd, abs);
      let size: number;
      let sha256: string;
      try {
        size = (await stat(abs)).size;
        sha256 = await sha256File(abs);
      } catch (e) {
        checks.push({ check: `artifact ${file}`, expected: 'a readable file', actual: (e as Error).message, ok: false });
        continue;
      }
      files.push({ path: file, size, sha256 });
      checks.push(...sizeChecks(a, file, size));
      if (a.sha256 !== undefined) {
        const want = a.sha256.trim().toLowerCase();
        checks.push({ check: `artifact ${file} sha256`, expected: want, actual: sha256, operator: '==', ok: sha256 === want });
      }
    }
  }
  return { checks, files };
}
