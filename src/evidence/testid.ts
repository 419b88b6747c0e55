/**
 * Stable test ids: what requirements, history and quarantine key on, so the same test must get the
 * same id in every run, whatever order the report lists it in.
 *
 * Scheme: `<scope>::<name>`, every part whitespace-collapsed (runs of whitespace → one space,
 * trimmed), paths with `/` separators and no leading `./`.
 *
 * The scope is chosen from what the report gives, most specific first:
 *   1. A file (testcase `file=`, else the enclosing suite's):
 *      - classname is the file's dotted module path plus more (pytest: `tests.test_api.TestX` for
 *        `tests/test_api.py`) → `tests/test_api.py::TestX::test_name` (the remainder's dots become `::`);
 *      - classname is the module path itself, the file itself, absent, or the end of the name
 *        (pytest module-level tests, vitest, Playwright, jest-junit, mocha-junit-reporter)
 *        → `file::name`;
 *      - any other classname (PHPUnit `App\Tests\FooTest`) → `file::classname::name`.
 *   2. No file, a classname (Surefire, Gradle, go-junit-report) →
 *      `com.acme.CalcTest::adds`, `github.com/acme/pkg::TestParse/sub`. pytest's xunit2 classname
 *      gives its file (see pytestFile): `tests/test_api.py::TestX::test_x`.
 *   3. No classname, a suite name (TAP subtests, node:test) → `suite::name`. node:test's JUnit
 *      classname is always `test`; it counts as absent when there is a suite name.
 *   4. Nothing but a name → `name`.
 * `go test -json` uses the package as the classname and the full (sub)test name:
 * `github.com/acme/pkg::TestParse/case_1`.
 *
 * Results a report implies rather than lists are named in parentheses, under the scope of what
 * failed (a suite's file when it has one, else its name):
 *   - `<scope>::(suite)`: a JUnit `<failure>`/`<error>` directly under `<testsuite>` (Ant class
 *     setup, karma's browser disconnect), or a TAP suite that failed while none of its tests did;
 *   - `<scope>::(header)`: a JUnit `<testsuite>`/`<testsuites>` header declaring more failures or
 *     errors than the file holds;
 *   - `<package>::(package)`: a `go test -json` package that failed outside its tests.
 * Absolute file paths are made relative to the gate's cwd by collect.ts when they lie under it.
 */

const NEEDS_COLLAPSE = /^\s|\s$|\s\s|[^\S ]/;

/** Collapse whitespace runs to one space and trim. */
export function collapse(s: string): string {
  // Most names are already clean: test before allocating a copy.
  return NEEDS_COLLAPSE.test(s) ? s.replace(/\s+/g, ' ').trim() : s;
}

/** Normalise a file path for ids: `/` separators, no leading `./`. */
export function normalizeFile(file: string): string {
  let f = collapse(file).replace(/\\/g, '/');
  while (f.startsWith('./')) f = f.slice(2);
  return f;
}

/** `tests/test_api.py` → `tests.test_api` (the dotted module path a classname may start with). */
function modulePath(file: string): string {
  const noExt = file.replace(/\.[^./]+$/, '');
  return noExt.replace(/\//g, '.');
}

/**
 * The scope part of an id (everything before the final `::name`). Exposed so parsers can fill
 * `TestResult.suite` consistently with the id.
 */
export function testScope(parts: { file?: string; classname?: string; suite?: string; name: string }): string {
  const name = collapse(parts.name);
  const classname = parts.classname === undefined ? '' : collapse(parts.classname);
  const file = parts.file === undefined ? pytestFile(parts.suite, classname) : normalizeFile(parts.file);
  if (file) {
    // mocha-junit-reporter: classname is the test title, name the full title ending with it.
    if (!classname || name.endsWith(classname) || classname === file || normalizeFile(classname) === file) return file;
    const mod = modulePath(file);
    if (classname === mod) return file;
    // The classname may be rooted higher or lower than the file path (rootdir differences):
    // match the module path as a dotted suffix of the classname's prefix.
    const segs = classname.split('.');
    for (let i = segs.length - 1; i >= 1; i--) {
      const head = segs.slice(0, i).join('.');
      if (head === mod || mod.endsWith(`.${head}`) || head.endsWith(`.${mod}`)) {
        return [file, ...segs.slice(i)].join('::');
      }
    }
    return `${file}::${classname}`;
  }
  // node:test's JUnit reporter (Node 20) writes classname="test" on every case and no file: the
  // enclosing suite (the describe() name) is what tells two tests apart.
  if (classname && !(classname === NODE_TEST_CLASSNAME && parts.suite)) return classname;
  return parts.suite === undefined ? '' : collapse(parts.suite);
}

const NODE_TEST_CLASSNAME = 'test';

/**
 * pytest's default JUnit (xunit2) has no `file` attribute, only a dotted classname such as
 * `tests.test_api.TestX`. Its module part is the file: segments up to the first test class
 * (pytest collects classes named `Test…`), so ids read `tests/test_api.py::TestX::test_x` as
 * pytest itself prints them. pytest names its suite `pytest`, which is how the dialect is known.
 */
function pytestFile(suite: string | undefined, classname: string): string {
  if (suite !== 'pytest' || !classname) return '';
  const segs = classname.split('.');
  const cls = segs.findIndex((s) => /^Test/.test(s));
  const mod = cls === -1 ? segs : segs.slice(0, cls);
  return mod.length ? `${mod.join('/')}.py` : '';
}

/** The stable id of a test (see the module comment for the scheme). */
export function testId(parts: { file?: string; classname?: string; suite?: string; name: string }): string {
  const scope = testScope(parts);
  const name = collapse(parts.name);
  return scope ? `${scope}::${name}` : name;
}

const patternCache = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    let src = '';
    for (const ch of pattern) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      else src += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`, 's');
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

/**
 * Does a requirement's pattern name this test? As teams write them: the full id or a scope (as
 * `matchTestPattern`), or — for a pattern without `::` or `/` — the test's own name
 * (`test_login`, `adds*` match `tests/test_auth.py::test_login`, `com.acme.CalcTest::adds_two`).
 * Broader than quarantine matching on purpose: a requirement that names more tests demands more.
 */
export function matchRequirementPattern(pattern: string, test: { id: string; name: string }): boolean {
  if (matchTestPattern(pattern, test.id)) return true;
  const p = collapse(pattern);
  if (p.includes('::') || p.includes('/')) return false;
  return /[*?]/.test(p) ? compile(p).test(test.name) : p === test.name;
}

/**
 * Does a test id match a pattern? `*` matches any run of characters (including `::` and `/`),
 * `?` exactly one. A pattern with neither wildcards nor `::` also names a whole suite, file or
 * package: `tests/test_api.py` matches `tests/test_api.py::TestX::test_a`.
 */
export function matchTestPattern(pattern: string, id: string): boolean {
  const p = collapse(pattern);
  if (!/[*?]/.test(p)) {
    if (p === id) return true;
    return !p.includes('::') && id.startsWith(`${p}::`);
  }
  return compile(p).test(id);
}

/** `matchTestPattern` with the pattern prepared once, for matching it against many ids. */
export function testPatternMatcher(pattern: string): (id: string) => boolean {
  const p = collapse(pattern);
  if (/[*?]/.test(p)) {
    const re = compile(p);
    return (id) => re.test(id);
  }
  const scope = p.includes('::') ? undefined : `${p}::`;
  return (id) => id === p || (scope !== undefined && id.startsWith(scope));
}

/** `matchRequirementPattern` with the pattern prepared once, for matching it against many tests. */
export function requirementMatcher(pattern: string): (test: { id: string; name: string }) => boolean {
  const byId = testPatternMatcher(pattern);
  const p = collapse(pattern);
  if (p.includes('::') || p.includes('/')) return (t) => byId(t.id);
  if (/[*?]/.test(p)) {
    const re = compile(p);
    return (t) => byId(t.id) || re.test(t.name);
  }
  return (t) => byId(t.id) || p === t.name;
}
