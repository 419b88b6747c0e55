/**
 * The gate graph through the real CLI: parallel branches, the concurrency limit, `needs` order,
 * selection flags (`--with`, `--skip`, `--only`, `--strict`, `when`), output modes and exit codes.
 * Order and concurrency are proven with marker files the gates write, never with clocks.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gate, makeProject, nodeCmd, onlyRunDecision, parseDecision, q, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

async function project(yml: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await makeProject({ 'shipgate.yml': yml, ...files });
  dirs.push(dir);
  return dir;
}

const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean);

describe('a DAG with parallel branches', () => {
  // root → (left ‖ right) → join. left and right each wait for the other's "started" marker,
  // so they pass only if they really run at the same time; root and join check their needs' markers.
  const diamond = (waitMs: string) => `name: diamond
gates:
  join:
    run: ${q(nodeCmd('needs.mjs', '.', 'join', 'left', 'right'))}
    needs: [left, right]
  left:
    run: ${q(nodeCmd('peer.mjs', '.', 'left', 'right', waitMs))}
    needs: [root]
  right:
    run: ${q(nodeCmd('peer.mjs', '.', 'right', 'left', waitMs))}
    needs: [root]
  root:
    run: ${q(nodeCmd('needs.mjs', '.', 'root'))}
`;

  it('runs independent branches at the same time and honours needs', async () => {
    const dir = await project(diamond('15000'));
    const res = await runCli(['run', '1.0.0', '--no-history', '--json', '--concurrency', '2'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const d = parseDecision(res.stdout);
    expect(d.result).toBe('READY');
    expect(d.gates.map((g) => [g.id, g.status])).toEqual(
      expect.arrayContaining([
        ['root', 'pass'],
        ['left', 'pass'],
        ['right', 'pass'],
        ['join', 'pass'],
      ]),
    );
    expect(await lines(join(dir, 'order.txt'))).toEqual(['root', 'join']);
    expect(existsSync(join(dir, 'left.done')) && existsSync(join(dir, 'right.done'))).toBe(true);
  });

  it('with --concurrency 1 the branches cannot meet: one of them fails and join does not run', async () => {
    const dir = await project(diamond('1500'));
    const res = await runCli(['run', '1.0.0', '--no-history', '--json', '--concurrency', '1'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    const d = parseDecision(res.stdout);
    expect(d.result).toBe('BLOCKED');
    const branches = [gate(d, 'left').status, gate(d, 'right').status].sort();
    expect(branches).toEqual(['fail', 'pass']);
    expect(gate(d, 'join').status).toBe('not-run');
    expect(gate(d, 'join').reason).toMatch(/need (left|right) did not pass/);
    expect(existsSync(join(dir, 'join.done'))).toBe(false);
  });

  it('never runs more gates at once than --concurrency allows', async () => {
    const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
    const gates = ids.map((id) => `  ${id}:\n    run: ${q(nodeCmd('slot.mjs', '.', id))}\n`).join('');
    const dir = await project(`gates:\n${gates}`);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json', '--concurrency', '2'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const counts = (await lines(join(dir, 'counts.txt'))).map(Number);
    expect(counts).toHaveLength(ids.length * 2);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
  });

  it('runs a chain in needs order whatever the declaration order', async () => {
    const dir = await project(`gates:
  deploy:
    run: ${q(nodeCmd('needs.mjs', '.', 'deploy', 'build', 'test'))}
    needs: [test]
  test:
    run: ${q(nodeCmd('needs.mjs', '.', 'test', 'build'))}
    needs: [build]
  build:
    run: ${q(nodeCmd('needs.mjs', '.', 'build'))}
`);
    const res = await runCli(['run', '1.0.0', '--no-history', '--concurrency', '4'], { cwd: dir });
    expect(res.code, res.stderr + res.stdout).toBe(0);
    expect(await lines(join(dir, 'order.txt'))).toEqual(['build', 'test', 'deploy']);
    expect(res.stdout).toContain('RESULT: RELEASE READY');
  });

  it('a failed need leaves its dependents NOT RUN, named in the summary (exit 1)', async () => {
    const dir = await project(`gates:
  build:
    run: ${q('echo compiling; echo "error: cannot compile" >&2; exit 4')}
  test:
    run: touch test.ran
    needs: [build]
  lint:
    run: touch lint.ran
`);
    const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    expect(existsSync(join(dir, 'test.ran'))).toBe(false);
    expect(existsSync(join(dir, 'lint.ran'))).toBe(true);
    expect(res.stdout).toMatch(/build\s+: FAIL/);
    expect(res.stdout).toMatch(/test\s+: NOT RUN \(need build did not pass\)/);
    expect(res.stdout).toContain('expected 0, got 4');
    expect(res.stdout).toContain('error: cannot compile');
    expect(res.stdout).toContain('RESULT: RELEASE BLOCKED');
    const { decision, runDir } = await onlyRunDecision(dir);
    expect(decision.result).toBe('BLOCKED');
    expect(await readFile(join(runDir, 'gate-build.log'), 'utf8')).toContain('error: cannot compile');
  });

  it('--fail-fast stops gates that have not started after a blocking failure', async () => {
    const dir = await project(`gates:
  broken:
    run: exit 1
  later:
    run: touch later.ran
    needs: [other]
  other:
    run: ${q(nodeCmd('needs.mjs', '.', 'other', 'never'))}
`);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json', '--concurrency', '1', '--fail-fast'], { cwd: dir });
    expect(res.code).toBe(1);
    const d = parseDecision(res.stdout);
    expect(gate(d, 'broken').status).toBe('fail');
    expect(existsSync(join(dir, 'later.ran'))).toBe(false);
    expect(gate(d, 'later').status).toBe('not-run');
  });
});

describe('selection: --with, --skip, --only, --strict, when', () => {
  const yml = `name: select
gates:
  build:
    run: touch build.ran
  unit:
    run: touch unit.ran
    needs: [build]
  e2e:
    run: touch e2e.ran
    needs: [build]
  ci-audit:
    run: touch ci-audit.ran
    when: ci
  local-audit:
    run: touch local-audit.ran
    when: local
  live:
    run: touch live.ran
    optional: true
`;
  const ran = (dir: string) =>
    ['build', 'unit', 'e2e', 'ci-audit', 'local-audit', 'live'].filter((id) => existsSync(join(dir, `${id}.ran`)));

  it('by default: optional gates and the other mode’s gates are skipped and named', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--local'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(ran(dir)).toEqual(['build', 'unit', 'e2e', 'local-audit']);
    expect(res.stdout).toMatch(/ci-audit\s+: SKIP \(CI only\)/);
    expect(res.stdout).toMatch(/live\s+: SKIP \(optional; enable with --with live\)/);
  });

  it('--ci (and CI=true) run `when: ci` gates and skip `when: local`', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--ci', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(ran(dir)).toEqual(['build', 'unit', 'e2e', 'ci-audit']);
    const d = parseDecision(res.stdout);
    expect(d.ci).toBe(true);
    expect(gate(d, 'local-audit')).toMatchObject({ status: 'skip', reason: 'local only' });

    const dir2 = await project(yml);
    const viaEnv = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir2, env: { CI: 'true' } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(parseDecision(viaEnv.stdout).ci).toBe(true);
    expect(ran(dir2)).toEqual(['build', 'unit', 'e2e', 'ci-audit']);
  });

  it('--with enables an optional gate', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--local', '--with', 'live', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(ran(dir)).toContain('live');
    expect(gate(parseDecision(res.stdout), 'live').status).toBe('pass');
  });

  it('--skip leaves a gate out; a dependent runs without it and says so; --strict turns that into a block', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--local', '--skip', 'build', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(ran(dir)).toEqual(['unit', 'e2e', 'local-audit']);
    const d = parseDecision(res.stdout);
    expect(gate(d, 'build')).toMatchObject({ status: 'skip', reason: 'skipped with --skip' });
    expect(gate(d, 'unit').ranWithout).toEqual(['build']);
    expect(d.warnings.join('\n')).toContain('build');
    // The human summary on stderr names the skipped blocking gate.
    expect(res.stderr).toMatch(/build\s+: SKIP \(skipped with --skip\)/);

    const strictDir = await project(yml);
    const strict = await runCli(['run', '1.0.0', '--no-history', '--local', '--skip', 'build', '--strict', '--json'], { cwd: strictDir });
    expect(strict.code, strict.stderr).toBe(1);
    const sd = parseDecision(strict.stdout);
    expect(sd.result).toBe('BLOCKED');
    expect(sd.strict).toBe(true);
    expect(sd.blockers.join('\n')).toContain('build');
  });

  it('--strict blocks on a blocking gate skipped by `when`', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--local', '--strict', '--json'], { cwd: dir });
    expect(res.code).toBe(1);
    const d = parseDecision(res.stdout);
    expect(d.blockers.join('\n')).toContain('ci-audit');
    expect(d.strict).toBe(true);
  });

  it('--only runs the named gates and what they need, nothing else', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--local', '--only', 'unit', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(ran(dir)).toEqual(['build', 'unit']);
    const d = parseDecision(res.stdout);
    expect(gate(d, 'e2e')).toMatchObject({ status: 'skip', reason: 'not selected by --only' });
  });

  it('--only can name an optional gate and a comma list', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--local', '--only', 'live,e2e'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(ran(dir)).toEqual(['build', 'e2e', 'live']);
  });
});

describe('output: --json and --report', () => {
  const yml = `name: out
gates:
  ok:
    run: echo fine
  noisy:
    run: echo this is gate output; echo and some on stderr >&2
`;

  it('--json prints only the decision on stdout; the summary goes to stderr', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '2.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const d = parseDecision(res.stdout);
    expect(d).toMatchObject({ result: 'READY', project: 'out', version: '2.0.0', ci: false, strict: false });
    expect(d.gates.map((g) => g.id).sort()).toEqual(['noisy', 'ok']);
    expect(res.stdout).not.toContain('this is gate output');
    expect(res.stderr).toContain('RESULT: RELEASE READY');
    const { decision } = await onlyRunDecision(dir);
    expect(decision.runId).toBe(d.runId);
  });

  it('--report json=PATH writes the same decision to the file', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '2.0.0', '--no-history', '--json', '--report', 'json=out/decision.json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const file = JSON.parse(await readFile(join(dir, 'out', 'decision.json'), 'utf8')) as unknown;
    expect(file).toEqual(parseDecision(res.stdout));
  });

  it('the run folder holds a log per gate and decision.json', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '2.0.0', '--no-history'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const { runDir, decision } = await onlyRunDecision(dir);
    expect(decision.runDir).toBe(runDir);
    const log = await readFile(join(runDir, 'gate-noisy.log'), 'utf8');
    expect(log).toContain('this is gate output');
    expect(log).toContain('and some on stderr');
    expect(res.stdout).toContain(runDir);
  });
});

describe('exit codes', () => {
  it('0 READY, 1 BLOCKED, 1 for a failing warn-only gate is still READY (0)', async () => {
    const ready = await project(`gates:\n  a:\n    run: "true"\n`);
    expect((await runCli(['run', '1.0.0', '--no-history'], { cwd: ready })).code).toBe(0);
    const blocked = await project(`gates:\n  a:\n    run: "false"\n`);
    expect((await runCli(['run', '1.0.0', '--no-history'], { cwd: blocked })).code).toBe(1);
    const warn = await project(`gates:\n  a:\n    run: "false"\n    severity: warn\n`);
    const w = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: warn });
    expect(w.code, w.stderr).toBe(0);
    expect(gate(parseDecision(w.stdout), 'a').status).toBe('warn');
  });

  it('a command that does not exist fails its gate (exit 1), not the CLI', async () => {
    const dir = await project(`gates:\n  a:\n    run: no-such-command-anywhere --flag\n`);
    const res = await runCli(['run', '1.0.0', '--no-history', '--json'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(gate(parseDecision(res.stdout), 'a').status).toBe('fail');
    expect(res.stderr).toContain('127');
  });
});

describe('values in commands are data, never code', () => {
  const yml = `gates:
  interpolated:
    run: echo \${version} > v.txt
  from-env:
    run: printf '%s\\n' "$SHIPGATE_VERSION" > env.txt
`;
  const versions = ['1.0; touch pwned', '1.0 && touch pwned', '$(touch pwned)', '`touch pwned`', "1.0'; touch pwned; echo '", '1.0 | tee pwned'];

  // A value a shell could read as code is not put into a command at all (a nested shell could
  // parse it again); the gate that uses it fails, saying so, and one that reads the environment gets it as data.
  it.each(versions.map((v) => [v]))('version %s', async (version) => {
    const dir = await project(yml);
    const res = await runCli(['run', version, '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    expect(existsSync(join(dir, 'pwned')), 'the version was executed as shell code').toBe(false);
    const d = parseDecision(res.stdout);
    expect(gate(d, 'interpolated')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^\$\{version\} holds .*, which a shell could read as code/) });
    expect(existsSync(join(dir, 'v.txt'))).toBe(false);
    expect(gate(d, 'from-env').status).toBe('pass');
    expect(await readFile(join(dir, 'env.txt'), 'utf8')).toBe(`${version}\n`);
    expect(d.version).toBe(version);
  });

  it.each([['$(touch pwned)'], ['`touch pwned`'], ['1.0"; touch pwned; echo "']])('version %s inside double quotes', async (version) => {
    const dir = await project(`gates:\n  quoted:\n    run: ${q('echo "v=${version}" > v.txt')}\n`);
    const res = await runCli(['run', version, '--no-history', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    expect(existsSync(join(dir, 'pwned')), 'the version was executed as shell code').toBe(false);
    expect(existsSync(join(dir, 'v.txt'))).toBe(false);
  });

  it('an inert version goes into the command as the value it is, in any quoting', async () => {
    const dir = await project(`gates:\n  quoted:\n    run: ${q('echo "v=${version}" > v.txt && echo ${version} > w.txt && echo \'${version}\' > x.txt')}\n`);
    const res = await runCli(['run', 'v2.0.0-rc.1+build.5', '--no-history'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(join(dir, 'v.txt'), 'utf8')).toBe('v=v2.0.0-rc.1+build.5\n');
    expect(await readFile(join(dir, 'w.txt'), 'utf8')).toBe('v2.0.0-rc.1+build.5\n');
    expect(await readFile(join(dir, 'x.txt'), 'utf8')).toBe('v2.0.0-rc.1+build.5\n');
  });
});
