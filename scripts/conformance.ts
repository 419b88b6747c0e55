/**
 * Conformance: parse every real report in the shared corpus and compare with the counts its
 * PROVENANCE.tsv records. Test-result rows (junit/, tap/, gotest-json/) are checked here; the other
 * folders go to `checkQualityRow` in conformance-quality.ts. Skipped (exit 0) when the corpus is
 * absent. Run: `npm run conformance` (SHIPGATE_CORPUS overrides the corpus location).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGoTestJson } from '../src/evidence/go-test-json.js';
import { HEADER_RESULT_NAME, parseJunit } from '../src/evidence/junit.js';
import type { TestResult } from '../src/evidence/model.js';
import { sniffFormat } from '../src/evidence/sniff.js';
import { parseTap } from '../src/evidence/tap.js';
import { checkQualityRow } from './conformance-quality.js';

interface Row {
  localPath: string;
  absPath: string;
  producer: string;
  expected: string;
}

/**
 * Rows whose recorded expectation does not match the file, with the reason (checked by reading
 * the file). The check uses the corrected value instead; the parser is not bent to the count.
 */
const EXCEPTIONS: Record<string, { expected: string; reason: string }> = {};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = resolve(process.env.SHIPGATE_CORPUS ?? join(root, '..', 'shared', 'corpus'));

function readRows(): Row[] {
  const lines = readFileSync(join(corpus, 'PROVENANCE.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i === -1) throw new Error(`PROVENANCE.tsv has no ${name} column`);
    return i;
  };
  const [iPath, iProducer, iExpected] = [col('local_path'), col('producer'), col('expected')];
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    const localPath = f[iPath]!;
    return { localPath, absPath: join(corpus, localPath), producer: f[iProducer] ?? '', expected: f[iExpected] ?? '' };
  });
}

/** `key=value` pairs from the expectation text before any parenthesised note. */
function expectedCounts(expected: string): Record<string, number> {
  const out: Record<string, number> = {};
  const main = expected.split('(')[0]!;
  for (const m of main.matchAll(/([a-z_]+)=(\d+)/g)) out[m[1]!] = Number(m[2]);
  // Notes carry some counts too: `(flaky=1: …)`.
  const flaky = /flaky=(\d+)/.exec(expected);
  if (flaky) out.flaky = Number(flaky[1]);
  return out;
}

function count(tests: TestResult[]): Record<string, number> {
  return {
    tests: tests.length,
    passed: tests.filter((t) => t.status === 'passed').length,
    failures: tests.filter((t) => t.status === 'failed').length,
    errors: tests.filter((t) => t.status === 'error').length,
    skipped: tests.filter((t) => t.status === 'skipped').length,
    flaky: tests.filter((t) => t.flaky).length,
  };
}

function compare(want: Record<string, number>, got: Record<string, number>, keys: Record<string, string>): string[] {
  const bad: string[] = [];
  for (const [wantKey, gotKey] of Object.entries(keys)) {
    if (want[wantKey] !== undefined && want[wantKey] !== got[gotKey]) bad.push(`${wantKey}: expected ${want[wantKey]}, got ${got[gotKey]}`);
  }
  return bad;
}

function show(got: Record<string, number>): string {
  return `tests=${got.tests} failures=${got.failures} errors=${got.errors} skipped=${got.skipped} flaky=${got.flaky}`;
}

async function checkTestRow(row: Row): Promise<{ ok: boolean; detail: string } | undefined> {
  const folder = row.localPath.split('/')[0];
  const expected = EXCEPTIONS[row.localPath]?.expected ?? row.expected;
  const want = expectedCounts(expected);
  const opts = { displayPath: row.localPath };
  if (folder === 'junit') {
    const sniffed = await sniffFormat(row.absPath);
    const tests = (await parseJunit(row.absPath, opts)).tests ?? [];
    const got = count(tests);
    const bad = compare(want, got, { tests: 'tests', failures: 'failures', errors: 'errors', skipped: 'skipped', flaky: 'flaky' });
    if (sniffed !== 'junit') bad.push(`sniffed as ${sniffed ?? 'unknown'}`);
    // Real producers' headers must agree with their bodies: a (header) result here means the
    // parser counts differently from a producer, not that the file is incomplete.
    for (const t of tests) if (t.name === HEADER_RESULT_NAME) bad.push(`spurious ${t.id}: ${t.message ?? ''}`);
    return { ok: bad.length === 0, detail: bad.length ? bad.join('; ') : show(got) };
  }
  if (folder === 'tap') {
    const sniffed = await sniffFormat(row.absPath);
    const got = count((await parseTap(row.absPath, opts)).tests ?? []);
    // TAP expectations are given as points and as the runner's own summary; leaves are what we
    // report, so compare with the summary when there is one (`summary: tests=…`), else with points.
    const summary = /summary:\s*(.*)$/.exec(expected)?.[1];
    const s = summary ? expectedCounts(summary) : {};
    const bad = summary
      ? compare(s, got, { tests: 'tests', pass: 'passed', fail: 'failures', skipped: 'skipped' })
      : compare(want, { ...got, okPoints: (got.passed ?? 0) + (got.skipped ?? 0) }, {
          points: 'tests',
          ok: 'okPoints',
          not_ok: 'failures',
          skipped: 'skipped',
        });
    if (sniffed !== 'tap') bad.push(`sniffed as ${sniffed ?? 'unknown'}`);
    return { ok: bad.length === 0, detail: bad.length ? bad.join('; ') : show(got) };
  }
  if (folder === 'gotest-json') {
    const sniffed = await sniffFormat(row.absPath);
    const tests = (await parseGoTestJson(row.absPath, opts)).tests ?? [];
    const pkgErrors = tests.filter((t) => t.name === '(package)').length;
    const got: Record<string, number> = { ...count(tests.filter((t) => t.name !== '(package)')), pkgErrors };
    const bad = compare(want, got, { pass: 'passed', fail: 'failures', skip: 'skipped', tests: 'tests' });
    // A failed package without failing tests must still yield a failing result.
    if (/package=fail/.test(expected) && got.failures === 0 && pkgErrors === 0) bad.push('package failed but no failing result');
    if (sniffed !== 'go-test-json') bad.push(`sniffed as ${sniffed ?? 'unknown'}`);
    return { ok: bad.length === 0, detail: bad.length ? bad.join('; ') : `${show(got)} package-errors=${pkgErrors}` };
  }
  return undefined;
}

async function main(): Promise<number> {
  if (!existsSync(join(corpus, 'PROVENANCE.tsv'))) {
    console.log(`conformance: corpus not found at ${corpus}; skipped (set SHIPGATE_CORPUS to run it)`);
    return 0;
  }
  let pass = 0;
  let fail = 0;
  for (const row of readRows()) {
    let res: { ok: boolean; detail: string } | undefined;
    try {
      res = (await checkTestRow(row)) ?? (await checkQualityRow(row));
    } catch (err) {
      const code = (err as { code?: string }).code;
      res = { ok: false, detail: `${code ? `[${code}] ` : ''}${err instanceof Error ? err.message : String(err)}` };
    }
    if (!res) res = { ok: false, detail: 'no checker handles this folder' };
    const note = EXCEPTIONS[row.localPath] ? ` (exception: ${EXCEPTIONS[row.localPath]!.reason})` : '';
    console.log(`${res.ok ? 'PASS' : 'FAIL'} ${row.localPath}: ${res.detail}${note}`);
    if (res.ok) pass++;
    else fail++;
  }
  console.log(`conformance: ${pass} passed, ${fail} failed, ${pass + fail} files`);
  return fail === 0 ? 0 : 1;
}

process.exitCode = await main();
