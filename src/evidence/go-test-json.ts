/**
 * `go test -json` streams (test2json events, one JSON object per line).
 *
 * Every test and subtest that ends with pass/fail/skip is a result (subtests keep their full
 * `Parent/Sub` name; a failing subtest also fails its parent, as Go reports it). A test that
 * started but never ended (a panic, a killed run) is an error. A package that fails without any
 * failing test (build failure, panic in init, TestMain exit) gets an `error` result named
 * `(package)` so it cannot pass, with its first output lines as the message. Output lines are
 * kept only for failing tests and capped.
 *
 * Repeated runs of a test — `-count=N`, or several streams appended to one file as
 * `gotestsum --rerun-fails` writes them — are attempts of one result: `attempts` counts them, the
 * final attempt decides the status, and failed-then-passed is `passed` with `flaky: true`. A
 * package that ever reported `fail` always fails: when no test of it ends failed (they passed on
 * rerun, or the failure was outside any test), its `(package)` error result says so.
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
  /** Status of the last finished attempt. */
  status?: TestStatus;
  elapsedS?: number;
  /** Finished attempts (pass/fail/skip events). */
  attempts: number;
  /** Some attempt failed. */
  everFailed: boolean;
  /** An attempt started (`run`) and has not finished. */
  running: boolean;
  /** Output of the current (or last) attempt. */
  output: string[];
}

interface PackageState {
  ended?: 'pass' | 'fail' | 'skip';
  /** Some stream reported the package as failed. */
  everFailed: boolean;
  /** Events arrived since the package's last pass/fail/skip (a rerun started, or a stream was cut). */
  open: boolean;
  output: string[];
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
      p = { everFailed: false, open: true, output: [] };
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
        t = { pkg, name: ev.Test, attempts: 0, everFailed: false, running: false, output: [] };
        tests.set(key, t);
        pkgState(pkg);
      }
      if (action === 'output' && typeof ev.Output === 'string' && !NOISE_RE.test(ev.Output)) pushCapped(t.output, ev.Output);
      else if (action === 'run') {
        // A new attempt: its output is what explains its outcome.
        if (t.attempts > 0) t.output = [];
        t.running = true;
        pkgState(pkg).open = true;
      } else if (action === 'pass' || action === 'fail' || action === 'skip') {
        t.status = action === 'pass' ? 'passed' : action === 'fail' ? 'failed' : 'skipped';
        t.elapsedS = elapsed;
        t.attempts++;
        t.running = false;
        if (action === 'fail') t.everFailed = true;
      }
      continue;
    }
    const p = pkgState(pkg);
    if (action === 'output' && typeof ev.Output === 'string' && !NOISE_RE.test(ev.Output)) pushCapped(p.output, ev.Output);
    else if (action === 'start') p.open = true;
    else if (action === 'pass' || action === 'fail' || action === 'skip') {
      p.ended = action;
      p.open = false;
      if (action === 'fail') p.everFailed = true;
    }
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
  /** Per package: tests whose final status is failed/error, and tests that failed only in earlier attempts. */
  const finalFailures = new Map<string, number>();
  const earlierFailures = new Map<string, string[]>();
  for (const t of tests.values()) {
    // Unfinished (an attempt started and never ended) is an error whatever earlier attempts said.
    const status: TestStatus = t.running || t.status === undefined ? 'error' : t.status;
    const r: TestResult = {
      id: testId({ classname: t.pkg, name: t.name }),
      suite: t.pkg,
      name: t.name,
      status,
      attempts: Math.max(1, t.attempts + (t.running ? 1 : 0)),
      flaky: status === 'passed' && t.everFailed,
    };
    if (status === 'failed' || status === 'error') finalFailures.set(t.pkg, (finalFailures.get(t.pkg) ?? 0) + 1);
    else if (t.everFailed) {
      const list = earlierFailures.get(t.pkg) ?? [];
      list.push(t.name);
      earlierFailures.set(t.pkg, list);
    }
    if (t.elapsedS !== undefined) r.durationMs = t.elapsedS * 1000;
    if (status === 'error') r.message = firstLines(['the test started but never finished (panic or killed run)', ...t.output].join('\n'));
    else if (status === 'failed' || status === 'skipped') {
      const m = firstLines(t.output.join('\n'));
      if (m !== undefined) r.message = m;
    }
    results.push(r);
  }
  for (const [pkg, p] of packages) {
    const unfinished = p.open;
    // A package `fail` must fail the gate even when every test ends passed (a rerun passed).
    const failedUnseen = p.everFailed && (finalFailures.get(pkg) ?? 0) === 0;
    if (!failedUnseen && !unfinished) continue;
    const earlier = earlierFailures.get(pkg) ?? [];
    let why: string;
    if (failedUnseen && earlier.length > 0) {
      const names = earlier.slice(0, 5).join(', ') + (earlier.length > 5 ? ', …' : '');
      why = `the package failed: ${earlier.length === 1 ? '1 test' : `${earlier.length} tests`} failed in earlier attempts (${names}); a later pass does not undo go test's package failure`;
    } else if (failedUnseen) {
      why = 'the package failed outside its tests (build failure, panic in init, TestMain)';
    } else {
      why = p.ended === undefined ? 'the package never reported pass or fail (stream cut short?)' : 'the package started again after it finished and never reported pass or fail (stream cut short?)';
    }
    results.push({
      id: testId({ classname: pkg, name: PACKAGE_RESULT_NAME }),
      suite: pkg,
      name: PACKAGE_RESULT_NAME,
      status: 'error',
      attempts: 1,
      flaky: false,
      message: firstLines([why, ...p.output].join('\n')),
    });
  }
  return { tests: results };
}

export const goTestJsonParser: FormatParser = {
  format: 'go-test-json',
  sniff: sniffGoTestJson,
  parse: parseGoTestJson,
};
