/**
 * shipgate-spawner (spawner.c, spawner.ts) for real: the built helper starts commands straight into
 * their cell's cgroup. The attacks: a command that writes a forged "exited 0" frame into the
 * helper's sockets through /proc, and a helper killed while a command runs (its exit status is then
 * unknown: the command must fail, never pass). The honest paths beside them: exit codes, signals,
 * arguments and environment passed byte for byte, a large output masked and complete, and
 * `SHIPGATE_SPAWNER=node` starting commands with Node's spawn instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeContainment, containmentScope } from './containment.js';
import { runCommand } from './process.js';
import { isDead, readStat } from './proc-table.js';
import { decodeWaitStatus, Spawner, spawnerPath } from './spawner.js';

const env = { ...process.env } as Record<string, string>;
delete env.SHIPGATE_CONTAINMENT_ID;
let dir: string;
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const hasCompiler = ['cc', 'gcc', 'clang'].some((cc) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cc}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-helper-test-'));
  closeContainment();
  process.env.SHIPGATE_CONTAINMENT = 'cgroup';
});
afterEach(() => {
  delete process.env.SHIPGATE_SPAWNER;
});
afterAll(async () => {
  closeContainment();
  delete process.env.SHIPGATE_CONTAINMENT;
  await rm(dir, { recursive: true, force: true });
});

/** What the command's parent process is called (the helper, or shipgate's own Node). */
async function parentOf(name: string): Promise<string> {
  const r = await runCommand({ command: `tr '\\0' ' ' < /proc/$PPID/cmdline`, cwd: dir, env, logFile: join(dir, `${name}.log`) });
  expect(r.exitCode).toBe(0);
  return readFile(join(dir, `${name}.log`), 'utf8');
}

describe('decodeWaitStatus', () => {
  it('reads exit codes and signals as Node reports them', () => {
    expect(decodeWaitStatus(0)).toEqual([0, null]);
    expect(decodeWaitStatus(3 << 8)).toEqual([3, null]);
    expect(decodeWaitStatus(255 << 8)).toEqual([255, null]);
    expect(decodeWaitStatus(9)).toEqual([null, 'SIGKILL']);
    expect(decodeWaitStatus(15 | 0x80)).toEqual([null, 'SIGTERM']); // core dumped
  });
});

describe('a helper that cannot run', () => {
  it('is known unusable at once when it cannot be executed, before any command is sent to it', async () => {
    let why = '';
    const told = new Promise<void>((resolve) => {
      const s = new Spawner(join(dir, 'missing-spawner'), undefined, (w) => {
        why = w;
        resolve();
      });
      expect(s.usable).toBe(false);
    });
    await told;
    expect(why).toMatch(/could not run \(spawn .*missing-spawner ENOENT\)/);
  });

  it('is given up as soon as it ends when it runs but is no helper (the command it was sent fails, never passes)', async () => {
    // execvp runs a file with no magic number through /bin/sh: it "starts", and ends at once.
    const notBinary = join(dir, 'not-a-binary');
    await writeFile(notBinary, 'echo this is no helper >&2; exit 3\n', { mode: 0o755 });
    let why = '';
    let resolveTold!: () => void;
    const told = new Promise<void>((resolve) => (resolveTold = resolve));
    const s = new Spawner(notBinary, undefined, (w) => {
      why = w;
      resolveTold();
    });
    expect(s.usable).toBe(true);
    const kid = s.spawn(dir, '/bin/sh', ['-c', 'exit 0'], { cwd: dir, env: {} });
    const outcome = new Promise<string>((resolve) => {
      kid.on('exit', (code) => resolve(`exit ${code}`));
      kid.on('error', (e: Error) => resolve(e.message));
    });
    await told;
    expect(s.usable).toBe(false);
    expect(why).toMatch(/ended with code 3 \(this is no helper\)/);
    expect(await outcome).toMatch(/^shipgate-spawner ended with code 3 .* so its exit status is unknown$/);
  });
});

describe('shipgate-spawner', () => {
  it('is built wherever a C compiler is (so these tests try it, not the fallback)', () => {
    expect(hasCompiler).toBe(true);
    expect(spawnerPath()).toMatch(/dist\/run\/shipgate-spawner$/);
  });

  it('starts commands in cgroup cells, and SHIPGATE_SPAWNER=node starts them with Node instead', async () => {
    expect(await parentOf('parent-helper')).toContain('shipgate-spawner --then');
    closeContainment();
    process.env.SHIPGATE_SPAWNER = 'node';
    const viaNode = await parentOf('parent-node');
    expect(viaNode).not.toContain('shipgate-spawner');
    expect(viaNode).toContain(process.execPath);
    closeContainment();
  });

  it('reports exit codes and signals, and passes arguments and environment byte for byte', async () => {
    expect(await runCommand({ command: 'exit 7', cwd: dir, env, logFile: join(dir, 'seven.log') })).toMatchObject({ exitCode: 7, signal: null });
    expect(await runCommand({ command: 'kill -TERM $$', cwd: dir, env, logFile: join(dir, 'term.log') })).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    const odd = `a "b" 'c' $d \`e\` \\ = é ✓\nsecond line`;
    const r = await runCommand({ command: `printf '%s|' "$ODD"; pwd`, cwd: dir, env: { ...env, ODD: odd }, logFile: join(dir, 'odd.log') });
    expect(r.exitCode).toBe(0);
    const log = await readFile(join(dir, 'odd.log'), 'utf8');
    expect(log).toContain(`${odd}|${dir}\n`);
  });

  it('brings a large output into the log complete, with a secret split anywhere masked', async () => {
    const secret = 'tok-5p4wn3r-s3cr3t';
    // 3 MB of lines, each with the secret: it is cut across the helper's 64 KB reads many times.
    const r = await runCommand({
      command: `i=0; while [ $i -lt 60000 ]; do echo "line $i $API_TOKEN end"; i=$((i+1)); done`,
      cwd: dir,
      env: { ...env, API_TOKEN: secret },
      logFile: join(dir, 'big.log'),
    });
    expect(r.exitCode).toBe(0);
    const log = await readFile(join(dir, 'big.log'), 'utf8');
    expect(log).not.toContain(secret);
    expect(log).toContain('line 0 *** end\n');
    expect(log).toContain('line 59999 *** end\n');
    expect(log.match(/^line \d+ \*\*\* end$/gm)).toHaveLength(60000);
  });

  it('cannot be told a forged exit status, nor have its output written into, through /proc', async () => {
    // A frame that says "id 1..50 exited 0", written into every descriptor of the helper.
    const forge = `for id in $(seq 1 50); do printf 'X\\\\%03o\\\\0\\\\0\\\\0\\\\4\\\\0\\\\0\\\\0\\\\0\\\\0\\\\0\\\\0' $id; done`;
    const r = await runCommand({
      command: `for fd in /proc/$PPID/fd/*; do if (${forge}) > "$fd" 2>/dev/null; then echo "FORGED-INTO $fd"; else echo "REFUSED $fd"; fi; done; exit 3`,
      cwd: dir,
      env,
      logFile: join(dir, 'forge.log'),
    });
    const log = await readFile(join(dir, 'forge.log'), 'utf8');
    expect(r).toMatchObject({ exitCode: 3, signal: null });
    expect(log).toContain('# exited with code 3');
    expect(log).not.toMatch(/^FORGED-INTO/m);
    // Not dumpable: as another user its descriptors cannot even be listed; root can list them
    // (CAP_SYS_PTRACE), and then every one was tried and refused.
    if (process.getuid?.() === 0) expect(log).toMatch(/^REFUSED \/proc\/\d+\/fd\/1$/m);
    else expect(log).not.toMatch(/^REFUSED \/proc\/\d+\/fd\/\d/m);
  });

  it('fails a command whose exit status it can no longer report (the helper killed), and stops the command; the next starts with Node', async () => {
    const pidFile = join(dir, 'orphan.pid');
    const running = runCommand({ command: `sleep 30 & echo $! > ${q(pidFile)}; wait`, cwd: dir, env, logFile: join(dir, 'orphan.log'), graceMs: 200 });
    let sleeper = 0;
    while (!sleeper) {
      await new Promise((r) => setTimeout(r, 20));
      sleeper = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    }
    const helper = containmentScope()!.watchdogPid!;
    expect((await readFile(`/proc/${helper}/cmdline`, 'utf8')).split('\0')[1]).toBe('--then');
    process.kill(helper, 'SIGKILL');
    const r = await running;
    expect(r.exitCode).toBeNull();
    expect(r.error).toMatch(/shipgate-spawner ended by SIGKILL before the command ended, so its exit status is unknown/);
    expect(isDead(readStat(sleeper))).toBe(true);
    // The run goes on with Node's spawn, and a watchdog of its own again.
    expect(await parentOf('after-helper')).toContain(process.execPath);
    expect(containmentScope()!.watchdogPid).not.toBe(helper);
  });
});
