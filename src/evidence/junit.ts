/**
 * JUnit XML, in the dialects real tools write (pytest, jest-junit, vitest, Surefire/Gradle with
 * flaky/rerun elements, go-junit-report, gotestsum, cargo-nextest, Playwright, PHPUnit, mocha,
 * node:test). We count the <testcase> elements the file contains; header attributes (`tests=`,
 * `failures=`) are ignored because tools get them wrong (subtests, hand edits, trimmed files).
 *
 * Streaming over decoded chunks with the purpose-built scanner in xml-scan.ts (measured against
 * saxes and fast-xml-parser in bench/junit-parse.ts): memory is the results plus one chunk,
 * whatever the file size. Nothing expands DTD entities or fetches anything; we refuse any DOCTYPE
 * that declares entities or points outside the file, so XXE / billion-laughs files fail before a
 * single entity is looked at.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, TestResult, TestStatus } from './model.js';
import { isBlank, lineColAtCharOffset, readChunks } from './read.js';
import { collapse, normalizeFile, testScope } from './testid.js';
import { attr, XmlScanner, XmlSyntaxError } from './xml-scan.js';

/** Messages keep their first lines only: enough to recognise a failure, bounded per test. */
export const MESSAGE_MAX_LINES = 10;
export const MESSAGE_MAX_CHARS = 1000;

/** First lines of a message, trimmed and capped. `undefined` when nothing is left. */
export function firstLines(text: string, maxLines = MESSAGE_MAX_LINES, maxChars = MESSAGE_MAX_CHARS): string | undefined {
  const lines = text.replace(/\r\n?/g, '\n').split('\n', maxLines + 1);
  let out = lines
    .slice(0, maxLines)
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/^\s*\n/, '')
    .trim();
  if (out.length > maxChars) out = `${out.slice(0, maxChars)}…`;
  else if (lines.length > maxLines) out += '\n…';
  return out.length > 0 ? out : undefined;
}

/**
 * Seconds from a `time` attribute. Tools write "1.5", "1,234.5" (thousands separators) and
 * "0,5" (decimal comma); anything non-numeric (node:test snapshots write "*") is unknown.
 */
export function parseSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  // Fast path for the plain decimal every tool writes by default.
  const fast = Number(raw);
  if (raw.length > 0 && fast >= 0 && Number.isFinite(fast) && raw.charCodeAt(0) <= 0x39 && raw.charCodeAt(0) >= 0x30) return fast;
  let s = raw.trim();
  if (s.includes(',')) s = s.includes('.') ? s.replace(/,/g, '') : s.replace(',', '.');
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A copy of `s` that does not keep the chunk it was sliced from alive. V8 represents substrings
 * of 13+ characters as views on their parent; a kept test name would otherwise pin the whole
 * 256 KiB chunk it came from, i.e. the whole file across 500k tests.
 */
function detach(s: string): string {
  return s.length < 13 ? s : `${s} `.slice(0, -1);
}

const DOCTYPE_RE = /^<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/i;

/** The first element after the prolog (XML declaration, comments, PIs, a doctype), if visible. */
function rootElementName(head: string): string | undefined {
  let s = head.replace(/^\uFEFF/, '');
  for (;;) {
    s = s.trimStart();
    if (s.startsWith('<?')) {
      const end = s.indexOf('?>');
      if (end === -1) return undefined;
      s = s.slice(end + 2);
    } else if (s.startsWith('<!--')) {
      const end = s.indexOf('-->');
      if (end === -1) return undefined;
      s = s.slice(end + 3);
    } else if (/^<!DOCTYPE/i.test(s)) {
      const m = DOCTYPE_RE.exec(s);
      if (!m) return undefined;
      s = s.slice(m[0].length);
    } else {
      return /^<([A-Za-z_][\w.:-]*)/.exec(s)?.[1];
    }
  }
}

export function sniffJunit(head: string): boolean {
  const root = rootElementName(head);
  return root === 'testsuites' || root === 'testsuite';
}

type Outcome = 'failure' | 'error' | 'skipped';
const OUTCOME_RANK: Record<TestStatus, number> = { passed: 0, skipped: 1, failed: 2, error: 3 };

interface CaseState {
  name: string;
  classname?: string;
  suite?: string;
  file?: string;
  durationMs?: number;
  status: TestStatus;
  flakyCount: number;
  rerunCount: number;
  message?: string;
  /** Body text of the outcome element being read, when it had no `message` attribute. */
  body?: string;
}

interface SuiteState {
  name?: string;
  file?: string;
}

/** Element names directly under <testcase> that decide its outcome. */
const OUTCOME_OF: Record<string, Outcome | 'flaky' | 'rerun' | undefined> = {
  failure: 'failure',
  error: 'error',
  skipped: 'skipped',
  flakyFailure: 'flaky',
  flakyError: 'flaky',
  rerunFailure: 'rerun',
  rerunError: 'rerun',
};

/** Thrown from the DOCTYPE handler; turned into EVIDENCE_UNSAFE with a line number. */
class UnsafeDoctype extends Error {
  constructor(readonly offset: number) {
    super('unsafe DOCTYPE');
  }
}

function unsafe(displayPath: string, line: number | undefined): EvidenceError {
  return new EvidenceError(
    'EVIDENCE_UNSAFE',
    displayPath,
    `report ${displayPath} declares a DTD with entities or an external reference; refused without reading it further`,
    { line, hint: 'JUnit reports never need a DOCTYPE; this file is not what the test tool wrote' },
  );
}

/** Parse a JUnit XML file into test results. */
export async function parseJunit(path: string, opts: { displayPath: string }): Promise<EvidencePart> {
  const { displayPath } = opts;
  const tests: TestResult[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

  // Interning keeps 500k tests from holding 500k copies of the same few suite/file strings.
  const interned = new Map<string, string>();
  const intern = (s: string): string => {
    const hit = interned.get(s);
    if (hit !== undefined) return hit;
    interned.set(s, s);
    return s;
  };

  const suites: SuiteState[] = [];
  let current: CaseState | undefined;
  let depth = 0;
  let caseDepth = -1;
  /** Depth of the outcome element (failure/error/skipped) whose body is being read, or -1. */
  let bodyDepth = -1;
  let sawNonBlank = false;

  // Consecutive testcases almost always share file/classname/suite: reuse the last scope.
  let lastScope = '';
  let lastKey: [string | undefined, string | undefined, string | undefined] | undefined;
  const scopeOf = (c: CaseState): string => {
    if (lastKey && lastKey[0] === c.file && lastKey[1] === c.classname && lastKey[2] === c.suite) return lastScope;
    lastScope = intern(detach(testScope({ file: c.file, classname: c.classname, suite: c.suite, name: c.name })));
    lastKey = [c.file, c.classname, c.suite];
    return lastScope;
  };

  const finish = (c: CaseState): void => {
    const scope = scopeOf(c);
    const name = detach(collapse(c.name));
    const t: TestResult = {
      id: scope ? `${scope}::${name}` : name,
      suite: scope,
      name,
      status: c.status,
      attempts: 1 + c.flakyCount + c.rerunCount,
      flaky: c.status === 'passed' && c.flakyCount > 0,
    };
    if (c.file !== undefined) t.file = c.file;
    if (c.durationMs !== undefined) t.durationMs = c.durationMs;
    if (c.message !== undefined) t.message = c.message;
    tests.push(t);
  };

  const onOpen = (name: string, attrs: readonly string[]): void => {
    if (depth === 0 && name !== 'testsuites' && name !== 'testsuite') {
      throw new EvidenceError(
        'EVIDENCE_MALFORMED',
        displayPath,
        `report ${displayPath} is XML but not JUnit: its root element is <${name}>, not <testsuites> or <testsuite>`,
        { hint: 'point the gate at the JUnit report, or declare the right format' },
      );
    }
    depth++;
    if (current) {
      if (depth !== caseDepth + 1) return;
      const kind = OUTCOME_OF[name];
      if (kind === 'flaky') current.flakyCount++;
      else if (kind === 'rerun') current.rerunCount++;
      else if (kind !== undefined) {
        const status: TestStatus = kind === 'failure' ? 'failed' : kind;
        if (OUTCOME_RANK[status] > OUTCOME_RANK[current.status]) {
          current.status = status;
          current.message = undefined;
        }
        if (current.status === status && current.message === undefined) {
          const m = attr(attrs, 'message');
          const msg = m === undefined ? undefined : firstLines(m);
          if (msg !== undefined) current.message = msg;
          else {
            bodyDepth = depth;
            current.body = '';
          }
        }
      }
      return;
    }
    if (name === 'testsuite' || name === 'testsuites') {
      const parent = suites[suites.length - 1];
      const file = attr(attrs, 'file') ?? attr(attrs, 'filepath');
      const suiteName = name === 'testsuite' ? attr(attrs, 'name') : undefined;
      suites.push({
        name: suiteName !== undefined ? intern(suiteName) : parent?.name,
        file: file !== undefined && file !== '' ? intern(detach(normalizeFile(file))) : parent?.file,
      });
      return;
    }
    if (name === 'testcase') {
      const suite = suites[suites.length - 1];
      let tcName = '';
      let classname: string | undefined;
      let klass: string | undefined;
      let file: string | undefined;
      let time: string | undefined;
      let declared = '';
      // One pass over the attributes instead of a lookup per name: this runs once per test.
      for (let k = 0; k < attrs.length; k += 2) {
        const v = attrs[k + 1]!;
        switch (attrs[k]) {
          case 'name': tcName = v; break;
          case 'classname': classname = v; break;
          case 'class': klass = v; break;
          case 'file': case 'filepath': file ??= v; break;
          case 'time': time = v; break;
          case 'status': case 'result': declared ||= v.toLowerCase(); break;
        }
      }
      const secs = parseSeconds(time);
      current = {
        name: tcName,
        classname: classname ?? klass,
        suite: suite?.name,
        file: file !== undefined && file !== '' ? intern(detach(normalizeFile(file))) : suite?.file,
        // Rounded to the microsecond: `0.000045 * 1000` should read 0.045, not 0.045000000000000005.
        durationMs: secs === undefined ? undefined : Math.round(secs * 1e6) / 1e3,
        // Some producers (GoogleTest, ctest) mark not-run cases by attribute instead of <skipped>.
        status: declared === 'notrun' || declared === 'skipped' || declared === 'disabled' ? 'skipped' : 'passed',
        flakyCount: 0,
        rerunCount: 0,
      };
      caseDepth = depth;
    }
  };

  const onClose = (name: string): void => {
    if (current) {
      if (depth === bodyDepth) {
        current.message = firstLines(current.body ?? '');
        current.body = undefined;
        bodyDepth = -1;
      }
      if (depth === caseDepth) {
        finish(current);
        current = undefined;
        caseDepth = -1;
      }
    } else if (name === 'testsuite' || name === 'testsuites') {
      suites.pop();
    }
    depth--;
  };

  const scanner = new XmlScanner({
    onOpen,
    onClose,
    wantText: () => bodyDepth !== -1,
    onText: (text) => {
      // Only the first lines are kept, so stop growing the body well before it matters.
      if (current?.body !== undefined && current.body.length < MESSAGE_MAX_CHARS * 2) current.body += text;
    },
    onDoctype: (doctype, offset) => {
      if (/<!ENTITY|\bSYSTEM\b|\bPUBLIC\b/i.test(doctype)) throw new UnsafeDoctype(offset);
    },
  });

  const notUtf8 = (cause: unknown): EvidenceError =>
    new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} is not UTF-8 text (after character ${scanner.offset})`, {
      hint: 'the file looks binary or uses another encoding; point the gate at the JUnit report',
      cause,
    });

  const syntax = async (err: unknown): Promise<unknown> => {
    if (err instanceof UnsafeDoctype) return unsafe(displayPath, (await lineColAtCharOffset(path, err.offset))?.line);
    if (!(err instanceof XmlSyntaxError)) return err;
    const at = (await lineColAtCharOffset(path, err.offset)) ?? { line: undefined, col: undefined };
    if (err.truncated) {
      return new EvidenceError(
        'EVIDENCE_TRUNCATED',
        displayPath,
        `report ${displayPath} ends before its XML is complete: ${err.message}${at.line === undefined ? '' : ` (line ${at.line})`}`,
        { line: at.line, col: at.col, hint: 'the test run was probably killed while writing it; rerun the gate' },
      );
    }
    return new EvidenceError(
      'EVIDENCE_MALFORMED',
      displayPath,
      `report ${displayPath} is not well-formed XML${at.line === undefined ? '' : ` at ${at.line}:${at.col}`}: ${err.message}`,
      { line: at.line, col: at.col, hint: 'the tool wrote something other than a JUnit report, or the file was edited' },
    );
  };

  try {
    for await (const chunk of readChunks(path, { displayPath })) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (err) {
        throw notUtf8(err);
      }
      if (text.includes('\0')) throw notUtf8(undefined);
      if (!sawNonBlank && !isBlank(text)) sawNonBlank = true;
      scanner.write(text);
    }
    let tail: string;
    try {
      tail = decoder.decode();
    } catch (err) {
      // A multi-byte character cut in half at the very end: the file was cut mid-write.
      if (scanner.sawRoot) throw new XmlSyntaxError('input ends inside a character', scanner.offset, true);
      throw notUtf8(err);
    }
    if (tail) scanner.write(tail);
    if (!sawNonBlank) {
      throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} is empty`, {
        hint: 'the test tool ran but wrote nothing; check that it finished and that its output option points here',
      });
    }
    scanner.end();
  } catch (err) {
    throw await syntax(err);
  }
  return { tests };
}

export const junitParser: FormatParser = {
  format: 'junit',
  sniff: sniffJunit,
  parse: parseJunit,
};
