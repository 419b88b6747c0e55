/**
 * Configuration mistakes through the real CLI: each is reported with file:line:col, the field path
 * and a hint, exits 2, and runs nothing (every config has a gate that would leave a marker file).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, makeProject, removeProject, runCli, startCli } from './helpers.js';

/** Poll `ok` until it holds (the test's own timeout bounds the wait). */
async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 20));
}

/** Until process `pid` holds `path` open: the CLI has reached its read of it. */
async function openedBy(pid: number, path: string): Promise<void> {
  const holds = (): boolean => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  };
  await until(holds);
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

async function project(yml: string): Promise<string> {
  const dir = await makeProject({ 'shipgate.yml': yml });
  dirs.push(dir);
  return dir;
}

interface Expected {
  code: string;
  line: number;
  col?: number;
  path?: string;
  /** Text of the hint (or of the guidance in the message). */
  hint: RegExp;
}

/** `shipgate run` on the project: exit 2, the issue reported where it is, and the marker gate never ran. */
async function expectRejected(yml: string, e: Expected): Promise<string> {
  const dir = await project(yml);
  const res = await runCli(['run', '1.0.0', '--no-history'], { cwd: dir });
  expect(res.code, res.stderr).toBe(2);
  const file = join(dir, 'shipgate.yml');
  const lines = res.stderr.split('\n');
  const at = lines.findIndex((l) => l.includes(`[${e.code}]`));
  expect(at, `no ${e.code} line in:\n${res.stderr}`).toBeGreaterThanOrEqual(0);
  const line = lines[at]!;
  expect(line).toContain(`${file}:${e.line}:${e.col ?? ''}`);
  expect(line).toMatch(new RegExp(`^${escapeRe(file)}:${e.line}:\\d+: `));
  if (e.path) expect(line).toContain(`(at ${e.path})`);
  expect(`${line}\n${lines[at + 1] ?? ''}`).toMatch(e.hint);
  expect(res.stderr).toContain('Nothing was run.');
  expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(res.stdout).not.toContain('RELEASE');
  expect(existsSync(join(dir, 'ran.marker')), 'a gate ran despite the configuration error').toBe(false);
  expect(existsSync(join(dir, '.shipgate', 'runs')), 'a run folder was made despite the configuration error').toBe(false);
  return res.stderr;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const MARKER_GATE = `  first:\n    run: touch ran.marker\n`;

describe('configuration errors stop the run before anything starts (exit 2)', () => {
  it('YAML syntax error: file:line:col and a hint', async () => {
    await expectRejected(`gates:\n${MARKER_GATE}  broken:\n    run: [echo\n`, {
      code: 'CONFIG_YAML',
      line: 5,
      hint: /hint: /,
    });
  });

  it('unknown key: did-you-mean with the field path', async () => {
    await expectRejected(`gates:\n${MARKER_GATE}  second:\n    run: echo hi\n    timout: 5s\n`, {
      code: 'CONFIG_UNKNOWN_KEY',
      line: 6,
      col: 5,
      path: 'gates.second.timout',
      hint: /hint: did you mean "timeout"\?/,
    });
  });

  it('wrong type: says what was expected and what was found', async () => {
    await expectRejected(`gates:\n${MARKER_GATE}  second:\n    run: echo hi\n    optional: "yes"\n`, {
      code: 'CONFIG_TYPE',
      line: 6,
      col: 15,
      path: 'gates.second.optional',
      hint: /expected true or false, got the string "yes"/,
    });
  });

  it('bad duration: shows how to write one', async () => {
    await expectRejected(`gates:\n${MARKER_GATE}  second:\n    run: echo hi\n    timeout: 5 parsecs\n`, {
      code: 'CONFIG_DURATION',
      line: 6,
      col: 14,
      path: 'gates.second.timeout',
      hint: /30s/,
    });
  });

  it('cycle in needs: names the cycle', async () => {
    const err = await expectRejected(
      `gates:\n${MARKER_GATE}  a:\n    run: echo a\n    needs: [b]\n  b:\n    run: echo b\n    needs: [a]\n`,
      { code: 'CONFIG_CYCLE', line: 6, col: 13, path: 'gates.a.needs[0]', hint: /hint: .*need itself/ },
    );
    expect(err).toContain('a → b → a');
  });

  it('a gate that needs itself is a cycle', async () => {
    await expectRejected(`gates:\n${MARKER_GATE}  a:\n    run: echo a\n    needs: [a]\n`, {
      code: 'CONFIG_CYCLE',
      line: 6,
      path: 'gates.a.needs[0]',
      hint: /needs itself/,
    });
  });

  it('unknown gate in needs: did-you-mean', async () => {
    await expectRejected(`gates:\n${MARKER_GATE}  build:\n    run: echo b\n  deploy:\n    run: echo d\n    needs: [biuld]\n`, {
      code: 'CONFIG_UNKNOWN_GATE',
      line: 8,
      col: 13,
      path: 'gates.deploy.needs[0]',
      hint: /hint: did you mean "build"\?/,
    });
  });

  it('unknown service id: did-you-mean', async () => {
    await expectRejected(`services:\n  api:\n    run: echo api\ngates:\n${MARKER_GATE}  e2e:\n    run: echo e\n    services: [apii]\n`, {
      code: 'CONFIG_UNKNOWN_SERVICE',
      line: 9,
      col: 16,
      path: 'gates.e2e.services[0]',
      hint: /hint: did you mean "api"\?/,
    });
  });

  it('duplicate key: file:line:col of the second one, its path and a hint', async () => {
    await expectRejected(`gates:\n${MARKER_GATE}  second:\n    run: echo one\n    run: echo two\n`, {
      code: 'CONFIG_DUPLICATE_KEY',
      line: 6,
      path: 'gates.second.run',
      hint: /hint: /,
    });
  });

  it('every mistake in a file is listed at once', async () => {
    const err = await expectRejected(`gates:\n${MARKER_GATE}  second:\n    run: echo hi\n    timout: 5s\n    severity: blok\n`, {
      code: 'CONFIG_UNKNOWN_KEY',
      line: 6,
      hint: /did you mean "timeout"/,
    });
    expect(err).toContain('configuration errors (2)');
    expect(err).toMatch(/shipgate\.yml:7:\d+: .*\(at gates\.second\.severity\) \[CONFIG_VALUE\]\n {2}hint: did you mean "block"\?/);
  });

  it('shape mistakes and cross-field mistakes come in one pass, not two rounds', async () => {
    const err = await expectRejected(`gates:\n${MARKER_GATE}  second:\n    run: echo hi\n    timout: 5s\n    needs: [frist]\n  third:\n    run: echo \${versoin}\n`, {
      code: 'CONFIG_UNKNOWN_KEY',
      line: 6,
      hint: /did you mean "timeout"/,
    });
    expect(err).toContain('configuration errors (3)');
    expect(err).toMatch(/\(at gates\.second\.needs\[0\]\) \[CONFIG_UNKNOWN_GATE\]/);
    expect(err).toMatch(/unknown variable \$\{versoin\} \(at gates\.third\.run\) \[CONFIG_VARIABLE\]/);
  });

  it('a missing configuration file is exit 2 with what to do', async () => {
    const dir = await project('');
    const res = await runCli(['run', '--no-history', '-c', 'nope.yml'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('[CONFIG_NOT_FOUND]');
    expect(res.stderr).toMatch(/hint: /);
  });

  it('an empty configuration file is exit 2, not a crash', async () => {
    const dir = await project('');
    const res = await runCli(['run', '--no-history'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/\[CONFIG_[A-Z_]+\]/);
    expect(res.stderr).not.toContain('internal error');
  });
});

describe('shipgate validate', () => {
  it('accepts a good file and says what it holds', async () => {
    const dir = await project(`services:\n  api:\n    run: echo api\ngates:\n${MARKER_GATE}  e2e:\n    run: echo e\n    services: [api]\n`);
    const res = await runCli(['validate'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`${join(dir, 'shipgate.yml')}: valid (2 gates, 1 services, 0 requirements)`);
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it('rejects a bad file with exit 2 and the location', async () => {
    const dir = await project(`gates:\n${MARKER_GATE}  second:\n    run: echo hi\n    neds: [first]\n`);
    const res = await runCli(['validate', '-c', 'shipgate.yml'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/shipgate\.yml:6:5: unknown key "neds" \(at gates\.second\.neds\) \[CONFIG_UNKNOWN_KEY\]\n {2}hint: did you mean "needs"\?/);
    expect(res.stdout).toBe('');
  });
});

describe('shipgate plan', () => {
  const yml = `gates:
  build:
    run: touch ran.marker
  unit:
    run: touch ran.marker
    needs: [build]
  ci-only:
    run: touch ran.marker
    when: ci
  local-only:
    run: touch ran.marker
    when: local
  live:
    run: touch ran.marker
    optional: true
  lint:
    run: touch ran.marker
    severity: warn
`;

  it('shows run/skip with reasons and phases, and executes nothing', async () => {
    const dir = await project(yml);
    const res = await runCli(['plan', '--local', '--skip', 'lint'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const out = res.stdout;
    expect(out).toMatch(/phase 1:\n(.*\n)*\s+RUN\s+build/);
    expect(out).toMatch(/phase 2:\n\s+RUN\s+unit\s+\(needs build\)/);
    expect(out).toMatch(/RUN\s+local-only/);
    expect(out).toMatch(/SKIP\s+ci-only\s+CI only/);
    expect(out).toMatch(/SKIP\s+live\s+optional; enable with --with live/);
    expect(out).toMatch(/SKIP\s+lint\s+skipped with --skip/);
    expect(out).toContain('3 to run, 3 skipped. Nothing was executed.');
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
    expect(existsSync(join(dir, '.shipgate'))).toBe(false);
  });

  it('--ci flips when: ci/local, --only keeps what the selection needs; --json is machine-readable', async () => {
    const dir = await project(yml);
    const res = await runCli(['plan', '--ci', '--only', 'unit', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as { ci: boolean; gates: { id: string; action: string; reason: string | null }[] };
    expect(plan.ci).toBe(true);
    const byId = Object.fromEntries(plan.gates.map((g) => [g.id, g]));
    expect(byId.unit!.action).toBe('run');
    expect(byId.build!.action).toBe('run');
    expect(byId['ci-only']!.reason).toBe('not selected by --only');
    expect(byId.live!.action).toBe('skip');
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it('the host CI variable decides the mode when no flag is given', async () => {
    const dir = await project(yml);
    const ci = await runCli(['plan', '--json'], { cwd: dir, env: { CI: 'true' } });
    const local = await runCli(['plan', '--json'], { cwd: dir, env: { CI: undefined } });
    const action = (out: string, id: string) => (JSON.parse(out) as { gates: { id: string; action: string }[] }).gates.find((g) => g.id === id)!.action;
    expect(action(ci.stdout, 'ci-only')).toBe('run');
    expect(action(ci.stdout, 'local-only')).toBe('skip');
    expect(action(local.stdout, 'ci-only')).toBe('skip');
    expect(action(local.stdout, 'local-only')).toBe('run');
  });
});

describe('usage errors (exit 2, nothing run)', () => {
  const yml = `gates:\n  build:\n    run: touch ran.marker\n  unit:\n    run: touch ran.marker\n`;

  it.each([['0'], ['abc'], ['-1'], ['1.5']])('--concurrency %s', async (value) => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--concurrency', value], { cwd: dir });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain('--concurrency');
    expect(res.stderr).toContain('expected a whole number');
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it('unknown --only id: did-you-mean', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--only', 'biuld'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no gate named "biuld"');
    expect(res.stderr).toContain('did you mean "build"?');
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it.each([['--skip'], ['--with']])('unknown %s id', async (flag) => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', flag, 'unti'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('did you mean "unit"?');
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it('an unknown --report kind', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--report', 'xml=out.xml'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--report xml=out.xml');
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it('--ci with --local', async () => {
    const dir = await project(yml);
    const res = await runCli(['run', '1.0.0', '--no-history', '--ci', '--local'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it('an unknown flag and an unknown command', async () => {
    const dir = await project(yml);
    const flag = await runCli(['run', '--no-such-flag'], { cwd: dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--no-such-flag'");
    const cmd = await runCli(['deploy'], { cwd: dir });
    expect(cmd.code).toBe(2);
    expect(existsSync(join(dir, 'ran.marker'))).toBe(false);
  });

  it('-c /dev/stdin: the configuration from a pipe belongs to the folder shipgate runs in, not to /dev', async () => {
    const dir = await makeProject({ 'README.md': 'no shipgate.yml here\n' });
    dirs.push(dir);
    const res = await runCli(['run', '1.0.0', '--no-history', '-c', '/dev/stdin'], { cwd: dir, input: yml });
    const out = res.stdout + res.stderr;
    expect(res.code, out).toBe(0);
    expect(out).toContain('RELEASE READY');
    // The gate ran in the project (its cwd is the root), and the run folder is the project's.
    expect(existsSync(join(dir, 'ran.marker'))).toBe(true);
    expect(out).toContain(join(dir, '.shipgate', 'runs'));
    expect(out).not.toContain('/dev/.shipgate');
    // `-c -` is the same.
    const dash = await runCli(['validate', '-c', '-'], { cwd: dir, input: yml });
    expect(dash.code, dash.stdout + dash.stderr).toBe(0);
    // So is a regular file reached through /dev/fd or /proc/self/fd: its folder is no project's.
    await writeFile(join(dir, 'elsewhere.yml'), yml);
    const fd = openSync(join(dir, 'elsewhere.yml'), 'r');
    try {
      const viaFd = spawnSync(process.execPath, [CLI, 'run', '1.0.1', '--no-history', '-c', '/proc/self/fd/3'], {
        cwd: dir,
        env: cliEnv(),
        stdio: ['ignore', 'pipe', 'pipe', fd],
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(viaFd.status, viaFd.stdout + viaFd.stderr).toBe(0);
      expect(viaFd.stdout + viaFd.stderr).toContain(join(dir, '.shipgate', 'runs'));
    } finally {
      closeSync(fd);
    }
  });

  it('a configuration over 4 MiB is refused with its real size', async () => {
    const dir = await project(`${yml}# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const res = await runCli(['validate'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/shipgate\.yml is 52\d{5} bytes; a configuration is at most 4 MiB \[CONFIG_TOO_LARGE\]/);
  });

  it('-c /dev/zero (a device with no end) is CONFIG_TOO_LARGE, not a read that never ends', async () => {
    const dir = await project(yml);
    const res = await runCli(['validate', '-c', '/dev/zero'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('/dev/zero gave more than 4 MiB; a configuration is at most 4 MiB [CONFIG_TOO_LARGE]');
    expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('-c a FIFO: waits for its writer and judges what it wrote', async () => {
    const dir = await project(yml);
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const cli = startCli(['validate', '-c', fifo], { cwd: dir });
    await openedBy(cli.child.pid!, fifo);
    // Opening for writing completes once the reader has it open: the CLI is waiting, not done.
    await writeFile(fifo, 'gates:\n  a: { run: "true" }\n');
    const res = await cli.done;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`${fifo}: valid (1 gates`);
  });

  it('HOSTILE: -c a FIFO nobody writes never makes shipgate unkillable: signals end the wait', async () => {
    // A read waited on in a worker thread kept even the third signal's process.exit() from ending it.
    const dir = await project(yml);
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const cli = startCli(['validate', '-c', fifo], { cwd: dir, timeoutMs: 20_000 });
    let stderr = '';
    cli.child.stderr!.on('data', (c: string) => (stderr += c));
    await openedBy(cli.child.pid!, fifo);
    for (const said of ['SIGTERM received', 'stopping immediately', 'third signal']) {
      cli.child.kill('SIGTERM');
      await until(() => stderr.includes(said));
    }
    const res = await cli.done;
    expect(res.signal).toBeNull();
    expect(res.code).toBe(130);
  });

  it('a file whose size says 0 (/proc/self/status) is read to its end, not to its stated size', async () => {
    const dir = await project(yml);
    const res = await runCli(['validate', '-c', '/proc/self/status'], { cwd: dir });
    expect(res.code).toBe(2);
    // Every line of it is an unknown key: all of them were read.
    const unknown = res.stderr.split('\n').filter((l) => /^\/proc\/self\/status:\d+:1: unknown key/.test(l));
    expect(unknown.length).toBeGreaterThan(30);
    expect(res.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('no arguments prints help and exits 2; --version and --help exit 0', async () => {
    const dir = await project(yml);
    const none = await runCli([], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Usage: shipgate');
    const version = await runCli(['--version'], { cwd: dir });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await runCli(['run', '--help'], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--concurrency');
  });
});
