/**
 * `shipgate init`: look at the repository and write a starter shipgate.yml whose commands already
 * write the reports shipgate reads — each tool with the flags it needs for shipgate to see every
 * test and every failure message — then add `.shipgate/` to .gitignore and print the next three
 * commands. Detection reads files only (package.json, pyproject.toml, go.mod, Cargo.toml,
 * Makefile, Dockerfile); nothing is run or installed.
 *
 * Reports go to `.shipgate/evidence/`: inside the folder shipgate already keeps out of git and out
 * of its uncommitted-changes check, so a report left from the last run never makes the tree dirty.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from '../../errors.js';
import { printable } from '../../util/printable.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';

const EV = '.shipgate/evidence';

export interface InitGate {
  title: string;
  /** One command, or steps (each its own shell, so each exit code is its own). */
  run?: string | string[];
  env?: Record<string, string>;
  needs?: string[];
  reports?: string[];
  expect?: string[];
  severity?: 'warn';
  when?: 'ci';
}

export interface Detected {
  /** What was recognised, for the message: `vitest (package.json)`. */
  found: string[];
  gates: Record<string, InitGate>;
  /** Things the user must do for a gate to work (a package to install, a file to add). */
  notes: string[];
  /** Extra files to write (path → content), only when missing. */
  files: Record<string, string>;
  name: string;
  node: boolean;
}

interface Pkg {
  name?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The name a config may carry: the package's, else the folder's. */
function projectName(dir: string, pkg: Pkg | undefined): string {
  const raw = (pkg?.name ?? basename(dir)).replace(/^@[^/]+\//, '');
  return raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'project';
}

function nodeGates(pkg: Pkg, out: Detected): void {
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  const has = (name: string) => name in deps;
  const scripts = pkg.scripts ?? {};
  const testScript = scripts.test ?? '';
  const uses = (tool: RegExp) => tool.test(testScript) || Object.values(scripts).some((s) => tool.test(s));

  if (has('vitest') || /\bvitest\b/.test(testScript)) {
    out.found.push('vitest (package.json)');
    const coverage = has('@vitest/coverage-v8') || has('@vitest/coverage-istanbul');
    out.gates.unit = {
      title: 'Unit tests (vitest)',
      // --reporter=junit writes every test with its failure message; default keeps the console output.
      run: `npx vitest run --reporter=default --reporter=junit --outputFile.junit=${EV}/vitest.xml${coverage ? ` --coverage --coverage.reporter=lcov --coverage.reporter=text-summary --coverage.reportsDirectory=${EV}/coverage` : ''}`,
      reports: [`${EV}/vitest.xml`],
    };
    if (coverage) out.gates.coverage = { title: 'Coverage (vitest)', needs: ['unit'], reports: [`${EV}/coverage/lcov.info`], expect: ['coverage.lines >= baseline - 1%'], severity: 'warn' };
  } else if (has('jest') || /\bjest\b/.test(testScript)) {
    out.found.push('jest (package.json)');
    out.gates.unit = {
      title: 'Unit tests (jest)',
      run: `npx jest --ci --reporters=default --reporters=jest-junit --coverage --coverageReporters=lcov --coverageReporters=text-summary --coverageDirectory=${EV}/coverage`,
      env: { JEST_JUNIT_OUTPUT_DIR: EV, JEST_JUNIT_OUTPUT_NAME: 'jest.xml', JEST_JUNIT_ADD_FILE_ATTRIBUTE: 'true' },
      reports: [`${EV}/jest.xml`],
    };
    out.gates.coverage = { title: 'Coverage (jest)', needs: ['unit'], reports: [`${EV}/coverage/lcov.info`], expect: ['coverage.lines >= baseline - 1%'], severity: 'warn' };
    if (!has('jest-junit')) out.notes.push('jest writes JUnit XML only through the jest-junit reporter: npm install --save-dev jest-junit');
  } else if (has('mocha') || /\bmocha\b/.test(testScript)) {
    out.found.push('mocha (package.json)');
    // Mocha's built-in xunit reporter writes the file itself, failure messages included. (Its TAP
    // reporter needs --reporter-option tapVersion=13 for the messages, and stdout redirected.)
    out.gates.unit = { title: 'Unit tests (mocha)', run: [`mkdir -p ${EV}`, `npx mocha --reporter xunit --reporter-option output=${EV}/mocha.xml`], reports: [`${EV}/mocha.xml`] };
  } else if (/\bnode\b[^&|;]*--test\b/.test(testScript) || uses(/\bnode\b[^&|;]*--test\b/)) {
    out.found.push('node:test (package.json)');
    out.gates.unit = {
      title: 'Unit tests (node:test)',
      run: [`mkdir -p ${EV}`, `node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=${EV}/node-test.xml`],
      reports: [`${EV}/node-test.xml`],
    };
  } else if (scripts.test && !/no test specified/.test(scripts.test)) {
    out.found.push('npm test (package.json)');
    out.gates.unit = { title: 'Tests (npm test)', run: 'npm test' };
    out.notes.push('`npm test` runs a tool shipgate does not know: make it write JUnit XML and add the file to `reports:` so the gate judges the tests, not just the exit code');
  }

  if (has('eslint') || /\beslint\b/.test(scripts.lint ?? '')) {
    out.found.push('eslint (package.json)');
    if (has('@microsoft/eslint-formatter-sarif')) {
      out.gates.lint = { title: 'Lint (eslint)', run: `npx eslint . --format @microsoft/eslint-formatter-sarif --output-file ${EV}/eslint.sarif`, reports: [`${EV}/eslint.sarif`], expect: ['findings.error == 0'] };
    } else {
      out.gates.lint = { title: 'Lint (eslint)', run: 'npx eslint .' };
      out.notes.push('for lint findings in the summary (file, line, rule): npm install --save-dev @microsoft/eslint-formatter-sarif, then run `shipgate init --force` again');
    }
  } else if (scripts.lint) {
    out.gates.lint = { title: 'Lint', run: 'npm run lint' };
  }
  if (scripts.typecheck) out.gates.typecheck = { title: 'Type check', run: 'npm run typecheck' };
  if (scripts.build) out.gates.build = { title: 'Build', run: 'npm run build' };
}

function pythonGates(dir: string, out: Detected): void {
  const pyproject = readText(join(dir, 'pyproject.toml')) ?? '';
  const setupCfg = readText(join(dir, 'setup.cfg')) ?? '';
  const reqs = ['requirements.txt', 'requirements-dev.txt', 'dev-requirements.txt'].map((f) => readText(join(dir, f)) ?? '').join('\n');
  const pytest = /\[tool\.pytest|\bpytest\b/.test(pyproject) || existsSync(join(dir, 'pytest.ini')) || /\[tool:pytest\]/.test(setupCfg) || /^pytest\b/m.test(reqs) || existsSync(join(dir, 'conftest.py'));
  if (!pytest && !pyproject) return;
  out.found.push(pytest ? 'pytest (pyproject.toml)' : 'pyproject.toml');
  const cov = /\bpytest-cov\b/.test(pyproject + reqs);
  out.gates.pytest = {
    title: 'Tests (pytest)',
    // junit_family=xunit2 is the schema CI tools read; --junitxml writes every test with its failure text.
    run: `python3 -m pytest --junitxml=${EV}/pytest.xml -o junit_family=xunit2${cov ? ` --cov --cov-report=xml:${EV}/coverage.xml --cov-report=term` : ''}`,
    reports: [`${EV}/pytest.xml`],
  };
  if (cov) out.gates['py-coverage'] = { title: 'Coverage (pytest-cov)', needs: ['pytest'], reports: [`${EV}/coverage.xml`], expect: ['coverage.lines >= baseline - 1%'], severity: 'warn' };
}

function goGates(dir: string, out: Detected): void {
  if (!existsSync(join(dir, 'go.mod'))) return;
  out.found.push('Go (go.mod)');
  // `go test -json` is what shipgate reads for Go: every test, subtest and its output.
  out.gates['go-test'] = { title: 'Tests (go test)', run: [`mkdir -p ${EV}`, `go test -json ./... > ${EV}/go-test.json`], reports: [`${EV}/go-test.json`] };
  out.gates['go-vet'] = { title: 'go vet', run: 'go vet ./...' };
}

function rustGates(dir: string, out: Detected): void {
  if (!existsSync(join(dir, 'Cargo.toml'))) return;
  out.found.push('Rust (Cargo.toml)');
  // cargo test's own output is not machine-readable on stable Rust; cargo-nextest writes JUnit.
  out.gates['cargo-test'] = { title: 'Tests (cargo nextest)', run: 'cargo nextest run --profile ci', reports: ['target/nextest/ci/junit.xml'] };
  out.gates.clippy = { title: 'Clippy', run: 'cargo clippy --all-targets -- -D warnings' };
  if (!existsSync(join(dir, '.config', 'nextest.toml'))) out.files['.config/nextest.toml'] = '# Written by `shipgate init`: the ci profile writes JUnit XML for shipgate.\n[profile.ci]\nfail-fast = false\n\n[profile.ci.junit]\npath = "junit.xml"\n';
  out.notes.push('the Rust gate uses cargo-nextest (cargo install cargo-nextest --locked); .config/nextest.toml gets a `ci` profile that writes target/nextest/ci/junit.xml');
}

function makeGates(dir: string, out: Detected): void {
  const text = readText(join(dir, 'Makefile')) ?? readText(join(dir, 'makefile'));
  if (text === undefined) return;
  const targets = new Set([...text.matchAll(/^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)/gm)].map((m) => m[1]!));
  const wanted = ['test', 'lint', 'build', 'check'].filter((t) => targets.has(t));
  if (!wanted.length) return;
  out.found.push(`Makefile (${wanted.join(', ')})`);
  const hasTests = Object.values(out.gates).some((g) => g.reports?.length);
  for (const t of wanted) {
    const id = `make-${t}`;
    if (t === 'test' && hasTests) continue; // the tool's own gate above already runs the tests, with reports
    out.gates[id] = { title: `make ${t}`, run: `make ${t}` };
  }
  if (targets.has('test') && !hasTests) out.notes.push('`make test` is judged by its exit code only: make it write JUnit XML and add the file to `reports:` of gate make-test');
}

function dockerGates(dir: string, out: Detected): void {
  if (!existsSync(join(dir, 'Dockerfile'))) return;
  out.found.push('Dockerfile');
  out.gates.image = { title: 'Container image builds', run: `docker build --tag ${out.name.toLowerCase()}:\${version} .`, when: 'ci' };
}

export function detect(dir: string): Detected {
  let pkg: Pkg | undefined;
  const pkgText = readText(join(dir, 'package.json'));
  if (pkgText !== undefined) {
    try {
      pkg = JSON.parse(pkgText) as Pkg;
    } catch {
      pkg = undefined;
    }
  }
  const out: Detected = { found: [], gates: {}, notes: [], files: {}, name: projectName(dir, pkg), node: pkg !== undefined };
  if (pkg) nodeGates(pkg, out);
  pythonGates(dir, out);
  goGates(dir, out);
  rustGates(dir, out);
  makeGates(dir, out);
  dockerGates(dir, out);
  return out;
}

export function initConfig(d: Detected): string {
  const gates: Record<string, InitGate> = { ...d.gates };
  if (!Object.keys(gates).length) gates.check = { title: 'Replace me with your first check', run: 'echo "shipgate: add your test command here"' };
  const head = [
    ...(d.node ? ['# yaml-language-server: $schema=./node_modules/shipgate/schema/shipgate.schema.json'] : []),
    '# Written by `shipgate init`. Each gate runs a command; gates with `reports:` are judged on the',
    '# reports their tools write (every test, its failure message), not only on the exit code.',
    '# Reference: https://www.npmjs.com/package/shipgate (Configuration reference).',
    '',
  ];
  const doc = { name: d.name, defaults: { timeout: '15m' }, gates };
  return `${head.join('\n')}${stringify(doc, { lineWidth: 0 })}`;
}

export async function ensureGitignore(dir: string): Promise<boolean> {
  const path = join(dir, '.gitignore');
  const text = (await readFile(path, 'utf8').catch(() => undefined)) ?? '';
  if (/^\/?\.shipgate\/?\s*$/m.test(text)) return false;
  await writeFile(path, `${text}${text && !text.endsWith('\n') ? '\n' : ''}# shipgate: history, run folders, reports\n.shipgate/\n`);
  return true;
}

export async function initCommand(flags: { force?: boolean; dryRun?: boolean }, ctx: CliContext): Promise<number> {
  const dir = ctx.cwd;
  const target = join(dir, 'shipgate.yml');
  const existing = ['shipgate.yml', 'shipgate.yaml', 'shipgate.config.mjs', 'shipgate.config.js', 'shipgate.config.ts'].find((f) => existsSync(join(dir, f)));
  if (existing && !flags.force && !flags.dryRun) throw new UsageError(`${existing} exists in ${dir}; shipgate init does not overwrite it`, 'use --force to replace it, or --dry-run to see what it would write');
  const d = detect(dir);
  const text = initConfig(d);
  if (flags.dryRun) {
    ctx.stdout.write(text);
    return EXIT.READY;
  }
  await writeFile(target, text);
  for (const [rel, content] of Object.entries(d.files)) {
    const path = join(dir, rel);
    if (existsSync(path)) continue;
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
  }
  const ignored = await ensureGitignore(dir);
  const x = d.node ? 'npx shipgate' : 'shipgate';
  const out = [
    `wrote ${printable(target)} with ${Object.keys(d.gates).length || 1} gate${Object.keys(d.gates).length === 1 ? '' : 's'}${d.found.length ? ` (found: ${d.found.join(', ')})` : ' (nothing recognised: a placeholder gate)'}`,
    ...Object.keys(d.files).map((f) => `wrote ${f}`),
    ignored ? 'added .shipgate/ to .gitignore' : '.gitignore already ignores .shipgate/',
    ...d.notes.map((n) => `note: ${n}`),
    '',
    'Next:',
    `  ${x} validate     # check shipgate.yml`,
    `  ${x} plan         # what would run, and why the rest would not`,
    `  ${x} run          # run the gates and decide: RELEASE READY or RELEASE BLOCKED`,
    '',
  ];
  ctx.stdout.write(out.join('\n'));
  return EXIT.READY;
}
