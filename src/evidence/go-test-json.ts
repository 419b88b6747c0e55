/**
 * `go test -json` streams (test2json events, one JSON object per line).
 *
 * Every test and subtest that ends with pass/fail/skip is a result (subtests keep their full
 * `Parent/Sub` name; a failing subtest also fails its parent, as Go reports it). A test that
 * started but never ended (a panic, a killed run) is an error. A package that fails without any
 * failing test (build failure, panic in init, TestMain exit) gets an `error` result named
 * `(package)` so it cannot pass, with its first output lines as the message. Output lines are
 * kept only for failing tests and capped.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, TestResult, TestStatus } from './model.js';
import { readLines, refuseDuplicateKeys } from './read.js';
import { firstLines } from './junit.js';
import { testId } from './testid.js';

const MAX_OUTPUT_LINES = 20;
export const PACKAGE_RESULT_NAME = '(package)';

export function sniffGoTestJson(head: string): boolean {
  for (const raw of head.replace(/^\uFEFF/, '').split('\n', 20)) {
    const line = raw.trim();
    if (line === '') continue;
    return /^\{.*"Action"\s*:\s*"[a-z-]+"/.test(line) && /"(Package|Time|Test)"\s*:/.test(line);
  }
  return false;
}

interface Event {
  Action?: unknown;
  Package?: unknown;
  Test?: unknown;
  Elapsed?: unknown;
  Output?: unknown;
}

interface TestState {
  pkg: string;
  name: string;
  status?: TestStatus;
  elapsedS?: number;
  output: string[];
}

interface PackageState {
  ended?: 'pass' | 'fail' | 'skip';
  output: string[];
  failedTests: number;
}

function pushCapped(list: string[], line: string): void {
  if (list.length < MAX_OUTPUT_LINES) list.push(line.replace(/\n$/, ''));
}

/** Lines that only restate what the event already says. */
const NOISE_RE = /^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|FAIL|SKIP):|PASS$|FAIL$|ok\s|FAIL\s)/;

/** Parse a `go test -json` stream into test results. */
export async function parseGoTestJson(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const tests = new Map<string, TestState>();
  const packages = new Map<string, PackageState>();
  let events = 0;
  let pendingError: EvidenceError | undefined;

  const pkgState = (pkg: string): PackageState => {
    let p = packages.get(pkg);
    if (!p) {
      p = { output: [], failedTests: 0 };
      packages.set(pkg, p);
    }
    return p;
  };

  for await (const { text, lineNo } of readLines(path, { displayPath })) {
    const line = text.trim();
    if (line === '') continue;
    // A bad line is only known to be a truncation if nothing follows it.
    if (pendingError) {
      const line0 = pendingError.location?.line;
      throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, pendingError.message, { line: line0, hint: pendingError.hint, cause: pendingError.cause });
    }
    let ev: Event;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      ev = parsed as Event;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const truncatedLike = !line.endsWith('}');
      pendingError = new EvidenceError(
        truncatedLike ? 'EVIDENCE_TRUNCATED' : 'EVIDENCE_MALFORMED',
        displayPath,
        `report ${displayPath} line ${lineNo} is not a go test -json event: ${msg}`,
        { line: lineNo, hint: 'run `go test -json` and write only its stdout to the report file', cause: err },
      );
      continue;
    }
    // Two "Action" (or "Test") keys: JSON.parse keeps the last, the other would be silently lost.
    refuseDuplicateKeys(text, displayPath, lineNo);
    if (typeof ev.Action !== 'string') {
      throw new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} line ${lineNo} has no "Action": not a go test -json event`, {
        line: lineNo,
        hint: 'run `go test -json` and write only its stdout to the report file',
      });
    }
    events++;
    const pkg = typeof ev.Package === 'string' ? ev.Package : '';
    const action = ev.Action;
    const elapsed = typeof ev.Elapsed === 'number' ? ev.Elapsed : undefined;
    if (typeof ev.Test === 'string' && ev.Test !== '') {
      const key = `${pkg}\u0000${ev.Test}`;
      let t = tests.get(key);
      if (!t) {
        t = { pkg, name: ev.Test, output: [] };
        tests.set(key, t);
      }
      if (action === 'output' && typeof ev.Output === 'string' && !NOISE_RE.test(ev.Output)) pushCapped(t.output, ev.Output);
      else if (action === 'pass' || action === 'fail' || action === 'skip') {
        t.status = action === 'pass' ? 'passed' : action === 'fail' ? 'failed' : 'skipped';
        t.elapsedS = elapsed;
        if (action === 'fail') pkgState(pkg).failedTests++;
      }
      continue;
    }
    const p = pkgState(pkg);
    if (action === 'output' && typeof ev.Output === 'string' && !NOISE_RE.test(ev.Output)) pushCapped(p.output, ev.Output);
    else if (action === 'pass' || action === 'fail' || action === 'skip') p.ended = action;
  }
  if (pendingError) {
    // The last line is the bad one: a stream cut mid-event reads as truncated, anything else malformed.
    throw pendingError;
  }
  if (events === 0) {
    throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} has no go test -json events`, {
      hint: 'the test run wrote nothing; check that `go test -json` ran and its stdout goes here',
    });
  }

  const results: TestResult[] = [];
  for (const t of tests.values()) {
    const status: TestStatus = t.status ?? 'error';
    const r: TestResult = {
      id: testId({ classname: t.pkg, name: t.name }),
      suite: t.pkg,
      name: t.name,
      status,
      attempts: 1,
      flaky: false,
    };
    if (t.elapsedS !== undefined) r.durationMs = t.elapsedS * 1000;
    if (status === 'error') r.message = firstLines(['the test started but never finished (panic or killed run)', ...t.output].join('\n'));
    else if (status === 'failed' || status === 'skipped') {
      const m = firstLines(t.output.join('\n'));
      if (m !== undefined) r.message = m;
    }
    results.push(r);
  }
  for (const [pkg, p] of packages) {
    const unfinished = p.ended === undefined;
    if ((p.ended === 'fail' && p.failedTests === 0) || unfinished) {
      results.push({
        id: testId({ classname: pkg, name: PACKAGE_RESULT_NAME }),
        suite: pkg,
        name: PACKAGE_RESULT_NAME,
        status: 'error',
        attempts: 1,
        flaky: false,
        message: firstLines(
          [unfinished ? 'the package never reported pass or fail (stream cut short?)' : 'the package failed outside its tests (build failure, panic in init, TestMain)', ...p.output].join('\n'),
        ),
      });
    }
  }
  return { tests: results };
}

export const goTestJsonParser: FormatParser = {
  format: 'go-test-json',
  sniff: sniffGoTestJson,
  parse: parseGoTestJson,
};
