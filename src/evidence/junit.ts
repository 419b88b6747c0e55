/**
 * JUnit XML, in the dialects real tools write (pytest, jest-junit, vitest, Surefire/Gradle with
 * flaky/rerun elements, go-junit-report, gotestsum, cargo-nextest, Playwright, PHPUnit, mocha,
 * node:test). We count the <testcase> elements the file contains; header attributes (`tests=`,
 * `failures=`) never make a report look better, because tools get them wrong (subtests, hand edits,
 * trimmed files). They can make it worse:
 * - a `<failure>`/`<error>` directly under `<testsuite>` (or `<testsuites>`) — Ant's class-setup
 *   errors, karma's browser disconnect — is an `error` result of that suite, id `<scope>::(suite)`;
 * - a header that declares more failures or more errors than the body holds is an `error` result
 *   `<scope>::(header)` naming the mismatch: failing test cases went missing from the file.
 *   The body count is per kind, as producers count: a test case holding a `<failure>` counts one
 *   failure however many it holds (vitest writes one per assertion error), one holding an `<error>`
 *   counts one error, and one holding both (pytest: failed in call, errored in teardown) counts in
 *   both, as pytest's header does. Surefire/nextest `flakyFailure`/`rerunFailure` elements are not
 *   counted, as their headers do not count them. Suite-level elements count too, and a suite's
 *   body includes its nested suites: `<testsuites>` totals are sums over everything inside.
 *
 * Streaming over raw bytes with the purpose-built scanner in xml-scan.ts (measured against
 * fast-xml-parser in bench/junit-parse.ts): memory is the results plus the read buffers, whatever
 * the file size. The results are what grows, so each is kept small: strings only for what a
 * result holds, repeated classname/file/suite strings shared (byte caches, then interning), the
 * id built as `scope::` (made once per scope) + name, and every result an object of one layout.
 * Nothing expands DTD entities or fetches anything; we refuse any DOCTYPE that declares entities
 * or points outside the file, so XXE / billion-laughs files fail before a single entity is
 * looked at.
 */
import { EvidenceError } from '../errors.js';
import type { EvidencePart, FormatParser, ParseOptions, TestResult, TestStatus } from './model.js';
import { ioError, readChunks } from './read.js';
import { collapse, normalizeFile, testScope } from './testid.js';
import { RepeatCache, scanFile, XmlEncodingError, XmlScanner, XmlSyntaxError, type XmlTag } from './xml-scan.js';

/** Name of the result for failure/error elements directly under a suite (see testid.ts). */
export const SUITE_RESULT_NAME = '(suite)';
/** Name of the result for a header declaring more failures/errors than the file holds. */
export const HEADER_RESULT_NAME = '(header)';

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
 * The body's own lines of a `message` attribute that lost them. node:test's JUnit reporter writes
 * the message with its newlines dropped ("…is set)500 !== 200") and the full text in the body; an
 * XML parser turns a literal newline in an attribute into a space. When the body spells the
 * attribute out with line breaks where the attribute has none (or a space), the body's version is
 * the message; otherwise the attribute stands as written.
 */
export function restoreLines(attr: string, body: string): string | undefined {
  // The body kept is bounded (MESSAGE_MAX_CHARS × 2), so a longer attribute cannot be spelt out in it.
  if (attr.length === 0 || attr.length > body.length || attr.includes('\n')) return undefined;
  const text = body.replace(/\r\n?/g, '\n');
  // The usual case: the body repeats the attribute as it is (or has no line breaks at all).
  if (!text.includes('\n') || text.includes(attr)) return undefined;
  // Line breaks read as spaces: the positions are the body's own.
  const spaced = text.replaceAll('\n', ' ').indexOf(attr);
  if (spaced !== -1) return firstLines(text.slice(spaced, spaced + attr.length));
  // Line breaks dropped: find the attribute in the body without them, then map back.
  const found = text.replaceAll('\n', '').indexOf(attr);
  if (found === -1) return undefined;
  let from = -1;
  let kept = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') continue;
    if (kept === found) from = i;
    if (++kept === found + attr.length) return firstLines(text.slice(from, i + 1));
  }
  return undefined;
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

/** Names the scanner hands back as these literals (fast to compare), seen in nearly every report. */
const KNOWN_NAMES = [
  'testcase', 'testsuite', 'testsuites', 'properties', 'property', 'system-out', 'system-err',
  'failure', 'error', 'skipped', 'flakyFailure', 'flakyError', 'rerunFailure', 'rerunError',
  'name', 'classname', 'class', 'file', 'filepath', 'time', 'status', 'result', 'message', 'type',
  'value', 'tests', 'failures', 'errors', 'timestamp', 'hostname', 'id', 'assertions', 'line',
];

interface SuiteState {
  /** Suite name test ids inherit: this element's, else the enclosing suite's. */
  name: string | undefined;
  file: string | undefined;
  element: 'testsuite' | 'testsuites';
  /** This element's own `name` attribute, for the ids of its (suite)/(header) results. */
  ownName: string | undefined;
  depth: number;
  /** Header `failures=`/`errors=`; -1 when absent or not a count. */
  declaredFailures: number;
  declaredErrors: number;
  /** What the body holds (see the module comment), nested suites included once closed. */
  failures: number;
  errors: number;
  /** The `(suite)` result of suite-level failure/error elements, once one is seen. */
  suiteResult: TestResult | undefined;
}

/** A header count: a non-negative integer, else -1 (absent or unreadable, so it cannot count). */
function headerCount(tag: XmlTag, key: string): number {
  const at = tag.indexOf(key);
  if (at === -1) return -1;
  const raw = tag.value(at).trim();
  return /^\d{1,15}$/.test(raw) ? Number(raw) : -1;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Why a suite's header says more went wrong than its body shows, or undefined. */
function headerMismatch(s: SuiteState): string | undefined {
  const parts: string[] = [];
  if (s.declaredFailures > s.failures) {
    parts.push(`declares ${plural(s.declaredFailures, 'failure', 'failures')}, the file holds ${plural(s.failures, 'failing test case', 'failing test cases')}`);
  }
  if (s.declaredErrors > s.errors) {
    parts.push(`declares ${plural(s.declaredErrors, 'error', 'errors')}, the file holds ${plural(s.errors, 'test case with an error', 'test cases with an error')}`);
  }
  if (parts.length === 0) return undefined;
  return `the ${s.element} header ${parts.join(' and ')}: the report is incomplete or was edited`;
}

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

/**
 * 1-based line and column (in characters) of byte `offset` of a UTF-8 file, found by reading it
 * again: the scanner does not count lines on the hot path. Undefined when it cannot be read.
 */
async function lineColAtByte(path: string, offset: number): Promise<{ line: number; col: number } | undefined> {
  let line = 1;
  let col = 1;
  let seen = 0;
  let bom = 0;
  try {
    for await (const chunk of readChunks(path, { displayPath: path })) {
      if (seen === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) bom = 3;
      const upto = Math.min(chunk.length, offset - seen);
      for (let i = seen === 0 ? bom : 0; i < upto; i++) {
        const c = chunk[i]!;
        if (c === 0x0a) {
          line++;
          col = 1;
        } else if ((c & 0xc0) !== 0x80) col++; // count characters, not continuation bytes
      }
      seen += chunk.length;
      if (seen >= offset) break;
    }
  } catch {
    return undefined;
  }
  return { line, col };
}

/**
 * What is known of the <testcase> being read. One object, reset per test: the parse allocates
 * only what it keeps.
 */
interface CaseState {
  open: boolean;
  name: string;
  classname: string | undefined;
  suite: string | undefined;
  file: string | undefined;
  durationMs: number | undefined;
  status: TestStatus;
  flakyCount: number;
  rerunCount: number;
  /** Holds a <failure> / an <error> element: what header counts are compared with. */
  hasFailure: boolean;
  hasError: boolean;
  message: string | undefined;
  /** Body text of the outcome element being read. */
  body: string | undefined;
  /** The `message` attribute as written, while its body is read to restore its line breaks. */
  attrMessage: string | undefined;
}

/**
 * Parse a JUnit XML file into test results: returned in `tests`, or, with `opts.onTest`, handed
 * over one by one as each is complete (and then not returned).
 */
export async function parseJunit(path: string, opts: ParseOptions): Promise<EvidencePart> {
  const { displayPath } = opts;
  const tests: TestResult[] = [];
  const emit: (t: TestResult) => void = opts.onTest ?? ((t) => tests.push(t));

  // Interning keeps 500k tests from holding 500k copies of the same few suite/file strings.
  const interned = new Map<string, string>();
  const intern = (s: string): string => {
    const hit = interned.get(s);
    if (hit !== undefined) return hit;
    if (interned.size < 100_000) interned.set(s, s);
    return s;
  };
  // Consecutive elements repeat their classname/file/suite: read those through byte caches.
  const classCache = new RepeatCache();
  const fileCache = new RepeatCache();
  const suiteCache = new RepeatCache();
  const rawFileCache = new RepeatCache();

  const suites: SuiteState[] = [];
  const cur: CaseState = {
    open: false,
    name: '',
    classname: undefined,
    suite: undefined,
    file: undefined,
    durationMs: undefined,
    status: 'passed',
    flakyCount: 0,
    rerunCount: 0,
    hasFailure: false,
    hasError: false,
    message: undefined,
    body: undefined,
    attrMessage: undefined,
  };
  let depth = 0;
  let caseDepth = -1;
  /** Depth of the outcome element (failure/error/skipped) whose body is being read, or -1. */
  let bodyDepth = -1;
  /** Body text of a suite-level failure/error without a `message` attribute, and its result. */
  let suiteBody: string | undefined;
  let suiteBodyResult: TestResult | undefined;

  // The id's scope depends on file/classname/suite (and, for one mocha layout, the name's end):
  // reuse the last one, and its `scope::` prefix, while they repeat.
  let lastFile: string | undefined;
  let lastClass: string | undefined;
  let lastSuite: string | undefined;
  let lastScope = '';
  let lastPrefix = '';
  let lastClassCollapsed = '';
  let scoped = false;

  const normFile = (raw: string): string => {
    // The raw value repeats; normalising it again each time would make a new string per test.
    const hit = interned.get(raw);
    if (hit !== undefined) return hit;
    const norm = intern(normalizeFile(raw));
    if (interned.size < 100_000) interned.set(raw, norm);
    return norm;
  };

  const finish = (): void => {
    const c = cur;
    const name = c.name;
    if (!scoped || c.file !== lastFile || c.classname !== lastClass || c.suite !== lastSuite) {
      lastFile = c.file;
      lastClass = c.classname;
      lastSuite = c.suite;
      lastClassCollapsed = c.classname === undefined ? '' : collapse(c.classname);
      // With an empty name, the scope is what every test of this file/classname/suite shares.
      lastScope = intern(testScope({ file: c.file, classname: c.classname, suite: c.suite, name: '' }));
      lastPrefix = lastScope ? `${lastScope}::` : '';
      scoped = true;
    }
    let scope = lastScope;
    let prefix = lastPrefix;
    if (c.file !== undefined && c.file !== '' && lastClassCollapsed !== '' && name.endsWith(lastClassCollapsed)) {
      // mocha-junit-reporter: the name ends with the classname, so the file alone is the scope.
      scope = intern(testScope({ file: c.file, classname: c.classname, suite: c.suite, name }));
      prefix = scope ? `${scope}::` : '';
    }
    // Every property, always, in one order: all results share one compact object layout
    // (`source` included, which the collector sets).
    emit({
      id: prefix ? prefix + name : name,
      suite: scope,
      name,
      file: c.file,
      status: c.status,
      durationMs: c.durationMs,
      attempts: 1 + c.flakyCount + c.rerunCount,
      flaky: c.status === 'passed' && c.flakyCount > 0,
      message: c.message,
      source: undefined,
    });
    const s = suites[suites.length - 1];
    if (s !== undefined) {
      if (c.hasFailure) s.failures++;
      if (c.hasError) s.errors++;
    }
  };

  /** A result the file implies for a suite (`(suite)`, `(header)`), in the same layout as the tests'. */
  const suiteLevelResult = (s: SuiteState, name: string, message: string | undefined): TestResult => {
    const scope = intern(testScope({ file: s.file, suite: s.ownName ?? s.name, name: '' }));
    return {
      id: scope ? `${scope}::${name}` : name,
      suite: scope,
      name,
      file: s.file,
      status: 'error',
      durationMs: undefined,
      attempts: 1,
      flaky: false,
      message,
      source: undefined,
    };
  };

  const SUITE_OUTCOME_DEFAULT = 'the suite failed outside its test cases';

  /** A <failure>/<error> directly under a suite: the suite itself failed (setup, a lost browser). */
  const openSuiteOutcome = (s: SuiteState, kind: 'failure' | 'error', tag: XmlTag): void => {
    if (kind === 'failure') s.failures++;
    else s.errors++;
    if (s.suiteResult !== undefined) return; // one (suite) result per suite; its first message
    const at = tag.indexOf('message');
    const msg = at === -1 ? undefined : firstLines(tag.value(at));
    const r = suiteLevelResult(s, SUITE_RESULT_NAME, msg ?? SUITE_OUTCOME_DEFAULT);
    s.suiteResult = r;
    if (msg === undefined) {
      // Handed over once its message (the element's body) is read.
      bodyDepth = depth;
      suiteBody = '';
      suiteBodyResult = r;
    } else emit(r);
  };

  const closeSuite = (): void => {
    const s = suites.pop();
    if (s === undefined) return;
    const why = headerMismatch(s);
    if (why !== undefined) emit(suiteLevelResult(s, HEADER_RESULT_NAME, why));
    const parent = suites[suites.length - 1];
    if (parent !== undefined) {
      parent.failures += s.failures;
      parent.errors += s.errors;
    }
  };

  const openCase = (tag: XmlTag): void => {
    const suite = suites[suites.length - 1];
    let name = '';
    let classname: string | undefined;
    let klass: string | undefined;
    let file: string | undefined;
    let secs: number | undefined;
    let declared = '';
    // One pass over the attributes instead of a lookup per name: this runs once per test.
    for (let k = 0; k < tag.count; k++) {
      switch (tag.key(k)) {
        case 'name':
          name = tag.value(k);
          // Plain ASCII names need collapsing only around or between spaces: skip the regex.
          if (!tag.plain(k) || name.charCodeAt(0) === 0x20 || name.charCodeAt(name.length - 1) === 0x20 || name.includes('  ')) name = collapse(name);
          break;
        case 'classname':
          classname = tag.cachedValue(k, classCache);
          break;
        case 'class':
          klass = tag.value(k);
          break;
        case 'file':
        case 'filepath':
          file ??= tag.cachedValue(k, rawFileCache);
          break;
        case 'time': {
          const plain = tag.decimal(k);
          secs = plain >= 0 ? plain : parseSeconds(tag.value(k));
          break;
        }
        case 'status':
        case 'result':
          declared ||= tag.value(k).toLowerCase();
          break;
      }
    }
    const c = cur;
    c.open = true;
    c.name = name;
    c.classname = classname !== undefined ? intern(classname) : klass;
    c.suite = suite?.name;
    c.file = file !== undefined && file !== '' ? normFile(file) : suite?.file;
    // Rounded to the microsecond: `0.000045 * 1000` should read 0.045, not 0.045000000000000005.
    c.durationMs = secs === undefined ? undefined : Math.round(secs * 1e6) / 1e3;
    // Some producers (GoogleTest, ctest) mark not-run cases by attribute instead of <skipped>.
    c.status = declared === 'notrun' || declared === 'skipped' || declared === 'disabled' ? 'skipped' : 'passed';
    c.flakyCount = 0;
    c.rerunCount = 0;
    c.hasFailure = false;
    c.hasError = false;
    c.message = undefined;
    c.body = undefined;
    c.attrMessage = undefined;
    caseDepth = depth;
  };

  const onOpen = (name: string, tag: XmlTag): void => {
    if (depth === 0 && name !== 'testsuites' && name !== 'testsuite') {
      throw new EvidenceError(
        'EVIDENCE_MALFORMED',
        displayPath,
        `report ${displayPath} is XML but not JUnit: its root element is <${name}>, not <testsuites> or <testsuite>`,
        { hint: 'point the gate at the JUnit report, or declare the right format' },
      );
    }
    depth++;
    if (cur.open) {
      if (depth !== caseDepth + 1) return;
      const kind = OUTCOME_OF[name];
      if (kind === 'flaky') cur.flakyCount++;
      else if (kind === 'rerun') cur.rerunCount++;
      else if (kind !== undefined) {
        if (kind === 'failure') cur.hasFailure = true;
        else if (kind === 'error') cur.hasError = true;
        const status: TestStatus = kind === 'failure' ? 'failed' : kind;
        if (OUTCOME_RANK[status] > OUTCOME_RANK[cur.status]) {
          cur.status = status;
          cur.message = undefined;
        }
        if (cur.status === status && cur.message === undefined) {
          const at = tag.indexOf('message');
          const raw = at === -1 ? undefined : tag.value(at);
          const msg = raw === undefined ? undefined : firstLines(raw);
          if (msg !== undefined) cur.message = msg;
          // The body is the message when there is no attribute, and may restore the attribute's lines.
          bodyDepth = depth;
          cur.body = '';
          cur.attrMessage = msg === undefined ? undefined : raw;
        }
      }
      return;
    }
    if (name === 'testcase') return openCase(tag);
    if (name === 'testsuite' || name === 'testsuites') {
      const parent = suites[suites.length - 1];
      let at = tag.indexOf('file');
      if (at === -1) at = tag.indexOf('filepath');
      const file = at === -1 ? undefined : tag.cachedValue(at, fileCache);
      const nameAt = tag.indexOf('name');
      const ownName = nameAt === -1 ? undefined : intern(tag.cachedValue(nameAt, suiteCache));
      suites.push({
        // <testsuites name="jest tests"> names the run, not a suite: tests do not inherit it.
        name: name === 'testsuite' && ownName !== undefined ? ownName : parent?.name,
        file: file !== undefined && file !== '' ? normFile(file) : parent?.file,
        element: name,
        ownName,
        depth,
        declaredFailures: headerCount(tag, 'failures'),
        declaredErrors: headerCount(tag, 'errors'),
        failures: 0,
        errors: 0,
        suiteResult: undefined,
      });
      return;
    }
    if (name === 'failure' || name === 'error') {
      const s = suites[suites.length - 1];
      if (s !== undefined && s.depth === depth - 1) openSuiteOutcome(s, name, tag);
    }
  };

  const onClose = (name: string): void => {
    if (cur.open) {
      if (depth === bodyDepth) {
        const body = cur.body ?? '';
        cur.message = cur.attrMessage === undefined ? firstLines(body) : (restoreLines(cur.attrMessage, body) ?? cur.message);
        cur.body = undefined;
        cur.attrMessage = undefined;
        bodyDepth = -1;
      }
      if (depth === caseDepth) {
        finish();
        cur.open = false;
        caseDepth = -1;
      }
    } else if (depth === bodyDepth && suiteBodyResult !== undefined) {
      suiteBodyResult.message = firstLines(suiteBody ?? '') ?? SUITE_OUTCOME_DEFAULT;
      emit(suiteBodyResult);
      suiteBody = undefined;
      suiteBodyResult = undefined;
      bodyDepth = -1;
    } else if (name === 'testsuite' || name === 'testsuites') {
      closeSuite();
    }
    depth--;
  };

  const scanner = new XmlScanner(
    {
      onOpen,
      onClose,
      wantText: () => bodyDepth !== -1,
      onText: (text) => {
        // Only the first lines are kept, so stop growing the body well before it matters.
        if (cur.body !== undefined) {
          if (cur.body.length < MESSAGE_MAX_CHARS * 2) cur.body += text;
        } else if (suiteBody !== undefined && suiteBody.length < MESSAGE_MAX_CHARS * 2) suiteBody += text;
      },
      onDoctype: (doctype, offset) => {
        if (/<!ENTITY|\bSYSTEM\b|\bPUBLIC\b/i.test(doctype)) throw new UnsafeDoctype(offset);
      },
    },
    KNOWN_NAMES,
  );

  const explain = async (err: unknown): Promise<unknown> => {
    if (err instanceof EvidenceError) return err;
    if (err instanceof UnsafeDoctype) return unsafe(displayPath, (await lineColAtByte(path, err.offset))?.line);
    if (err instanceof XmlEncodingError) {
      return new EvidenceError('EVIDENCE_MALFORMED', displayPath, `report ${displayPath} is not UTF-8 text (${err.message} at byte ${err.offset})`, {
        hint: 'the file looks binary or uses another encoding; point the gate at the JUnit report',
        cause: err,
      });
    }
    if (!(err instanceof XmlSyntaxError)) return ioError(err, displayPath);
    const at = (await lineColAtByte(path, err.offset)) ?? { line: undefined, col: undefined };
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
    const size = await scanFile(path, scanner);
    if (!scanner.sawContent) {
      throw new EvidenceError('EVIDENCE_EMPTY', displayPath, `report ${displayPath} is empty`, {
        hint: 'the test tool ran but wrote nothing; check that it finished and that its output option points here',
      });
    }
    scanner.end(size);
  } catch (err) {
    throw await explain(err);
  }
  return opts.onTest ? {} : { tests };
}

export const junitParser: FormatParser = {
  format: 'junit',
  sniff: sniffJunit,
  parse: parseJunit,
};
