/**
 * `shipgate init` on a fixture repository of each kind (test/fixtures/init/): the starter config
 * validates, and `shipgate run` runs it to RELEASE READY with the tests counted from the reports
 * the generated commands wrote. Real tools where this machine has them (vitest, node:test, eslint,
 * pytest, make); for the others (mocha, jest, go, cargo-nextest, docker) a stand-in on PATH that
 * writes what the real tool writes for exactly the flags init chose, and fails on any other.
 */
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE, REPO, makeProject, onlyRunDecision, removeProject, runCli } from './helpers.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'init');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

async function repo(kind: string, nodeModules = false): Promise<string> {
  const dir = await makeProject({});
  dirs.push(dir);
  await cp(join(FIX, kind), dir, { recursive: true });
  if (nodeModules) await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const JUNIT = (name: string) => `<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="${name}" tests="2" failures="0"><testcase classname="${name}" name="a" time="0.001"/><testcase classname="${name}" name="b" time="0.001"/></testsuite></testsuites>`;

/** Stand-ins: each checks it got the flags init wrote, then writes the report there. */
async function standIns(dir: string): Promise<string> {
  const bin = join(dir, '.bin-stand-ins');
  await mkdir(bin);
  const script = (body: string) => `#!${NODE}\nconst fs = require('node:fs'); const path = require('node:path');\nconst a = process.argv.slice(2); const j = a.join(' ');\nconst w = (f, t) => { fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, t); };\n${body}\nconsole.error('stand-in: unexpected arguments: ' + j); process.exit(64);\n`;
  const files: Record<string, string> = {
    npx: script(`
if (a[0] === 'mocha' && j === 'mocha --reporter xunit --reporter-option output=.shipgate/evidence/mocha.xml') { w('.shipgate/evidence/mocha.xml', ${JSON.stringify(JUNIT('mocha'))}); process.exit(0); }
if (a[0] === 'jest' && j === 'jest --ci --reporters=default --reporters=jest-junit --coverage --coverageReporters=lcov --coverageReporters=text-summary --coverageDirectory=.shipgate/evidence/coverage'
    && process.env.JEST_JUNIT_OUTPUT_DIR === '.shipgate/evidence' && process.env.JEST_JUNIT_OUTPUT_NAME === 'jest.xml') {
  w('.shipgate/evidence/jest.xml', ${JSON.stringify(JUNIT('jest'))});
  w('.shipgate/evidence/coverage/lcov.info', 'TN:\\nSF:src/a.js\\nDA:1,1\\nDA:2,1\\nLF:2\\nLH:2\\nend_of_record\\n');
  process.exit(0);
}`),
    go: script(`
if (j === 'test -json ./...') { for (const e of [{Action:'run',Package:'example.com/svc',Test:'TestAdd'},{Action:'pass',Package:'example.com/svc',Test:'TestAdd',Elapsed:0},{Action:'pass',Package:'example.com/svc',Elapsed:0.01}]) console.log(JSON.stringify(e)); process.exit(0); }
if (j === 'vet ./...') process.exit(0);`),
    cargo: script(`
if (j === 'nextest run --profile ci' && fs.readFileSync('.config/nextest.toml', 'utf8').includes('[profile.ci.junit]')) { w('target/nextest/ci/junit.xml', ${JSON.stringify(JUNIT('engine'))}); process.exit(0); }
if (j === 'clippy --all-targets -- -D warnings') process.exit(0);`),
    docker: script(`if (/^build --tag [a-z0-9][a-z0-9._-]*:1\\.0\\.0 \\.$/.test(j)) process.exit(0);`),
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(bin, name), text);
    await chmod(join(bin, name), 0o755);
  }
  return bin;
}

async function initAndRun(dir: string, opts: { env?: Record<string, string>; args?: string[] } = {}) {
  const init = await runCli(['init'], { cwd: dir, env: opts.env });
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  const config = await readFile(join(dir, 'shipgate.yml'), 'utf8');
  const validate = await runCli(['validate'], { cwd: dir, env: opts.env });
  expect(validate.code, validate.stderr).toBe(0);
  const run = await runCli(['run', '1.0.0', '--no-history', ...(opts.args ?? [])], { cwd: dir, env: opts.env, timeoutMs: 120_000 });
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  const { decision } = await onlyRunDecision(dir);
  return { init, config, run, decision };
}

describe('shipgate init', () => {
  it('vitest: JUnit via --reporter=junit; prints the next three commands; .shipgate/ ignored; runs READY', async () => {
    const dir = await repo('node-vitest', true);
    const { init, config, decision } = await initAndRun(dir);
    expect(config).toContain('# yaml-language-server: $schema=./node_modules/shipgate/schema/shipgate.schema.json');
    expect(config).toContain('name: web');
    expect(config).toContain('--reporter=junit --outputFile.junit=.shipgate/evidence/vitest.xml');
    expect(init.stdout).toContain('found: vitest (package.json)');
    expect(init.stdout).toMatch(/Next:\n {2}npx shipgate validate .*\n {2}npx shipgate plan .*\n {2}npx shipgate run /);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toContain('.shipgate/\n');
    expect(decision.gates.map((g) => `${g.id}:${g.status}`)).toEqual(['unit:pass', 'build:pass']);
    expect(decision.gates[0]!.counts).toMatchObject({ total: 2, passed: 2 });
  });

  it('node:test and eslint: the junit test reporter to a file, lint by exit code with a note', async () => {
    const dir = await repo('node-test', true);
    const { init, config, decision } = await initAndRun(dir);
    expect(config).toContain('--test-reporter=junit --test-reporter-destination=.shipgate/evidence/node-test.xml');
    expect(init.stdout).toContain('note: for lint findings in the summary');
    expect(decision.gates.map((g) => `${g.id}:${g.status}`)).toEqual(['unit:pass', 'lint:pass']);
    expect(decision.gates[0]!.counts).toMatchObject({ total: 1, passed: 1 });
  });

  it('pytest: --junitxml with junit_family=xunit2', async () => {
    const dir = await repo('python');
    const { config, decision } = await initAndRun(dir);
    expect(config).toContain('python3 -m pytest --junitxml=.shipgate/evidence/pytest.xml -o junit_family=xunit2');
    expect(decision.gates[0]!.counts).toMatchObject({ total: 2, passed: 2 });
  });

  it('a Makefile: its test and lint targets as gates', async () => {
    const dir = await repo('make');
    const { decision } = await initAndRun(dir);
    expect(decision.gates.map((g) => `${g.id}:${g.status}`)).toEqual(['make-test:pass', 'make-lint:pass']);
  });

  it('mocha and jest (stand-ins): xunit reporter to a file; jest-junit with its note; coverage from lcov', async () => {
    const mocha = await repo('node-mocha');
    const bin = await standIns(mocha);
    const m = await initAndRun(mocha, { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(m.decision.gates[0]!.counts).toMatchObject({ total: 2, passed: 2 });
    const jest = await repo('node-jest');
    const jbin = await standIns(jest);
    const j = await initAndRun(jest, { env: { PATH: `${jbin}:${process.env.PATH}` } });
    expect(j.init.stdout).toContain('note: jest writes JUnit XML only through the jest-junit reporter: npm install --save-dev jest-junit');
    expect(j.decision.gates.map((g) => `${g.id}:${g.status}`)).toEqual(['unit:pass', 'coverage:pass']);
  });

  it('go and Rust (stand-ins): go test -json; cargo nextest with a ci profile that writes JUnit', async () => {
    const go = await repo('go');
    const g = await initAndRun(go, { env: { PATH: `${await standIns(go)}:${process.env.PATH}` } });
    expect(g.decision.gates.map((x) => `${x.id}:${x.status}`)).toEqual(['go-test:pass', 'go-vet:pass']);
    expect(g.decision.gates[0]!.counts).toMatchObject({ total: 1, passed: 1 });
    const rust = await repo('rust');
    const r = await initAndRun(rust, { env: { PATH: `${await standIns(rust)}:${process.env.PATH}` } });
    expect(await readFile(join(rust, '.config', 'nextest.toml'), 'utf8')).toContain('[profile.ci.junit]');
    expect(r.init.stdout).toContain('wrote .config/nextest.toml');
    expect(r.decision.gates.map((x) => `${x.id}:${x.status}`)).toEqual(['cargo-test:pass', 'clippy:pass']);
  });

  it('a Dockerfile: an image gate for CI (skipped locally, run with --ci)', async () => {
    const dir = await repo('docker');
    const bin = await standIns(dir);
    const { decision } = await initAndRun(dir, { env: { PATH: `${bin}:${process.env.PATH}` }, args: ['--ci'] });
    expect(decision.gates.map((g) => `${g.id}:${g.status}`)).toEqual(['make-build:pass', 'image:pass']);
  });

  it('an existing config is not overwritten; an empty folder gets a placeholder that validates', async () => {
    const dir = await repo('make');
    await writeFile(join(dir, 'shipgate.yml'), 'gates: { a: { run: "true" } }\n');
    const again = await runCli(['init'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('shipgate.yml exists');
    const empty = await makeProject({});
    dirs.push(empty);
    expect((await runCli(['init'], { cwd: empty })).stdout).toContain('nothing recognised: a placeholder gate');
    expect((await runCli(['validate'], { cwd: empty })).code).toBe(0);
  });

  it('the config is found from a subfolder of the repository, not from outside it', async () => {
    const dir = await repo('make');
    await mkdir(join(dir, '.git'));
    await mkdir(join(dir, 'src', 'deep'), { recursive: true });
    await runCli(['init'], { cwd: dir });
    const r = await runCli(['run', '1.0.0', '--no-history'], { cwd: join(dir, 'src', 'deep') });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, '.shipgate', 'runs'))).toBe(true);
    const outside = await makeProject({ 'inner/x.txt': '' });
    dirs.push(outside);
    await writeFile(join(outside, 'shipgate.yml'), 'gates: { a: { run: "true" } }\n');
    const no = await runCli(['validate'], { cwd: join(outside, 'inner') });
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('CONFIG_NOT_FOUND');
  });
});
