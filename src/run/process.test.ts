import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveProcessCount, runCommand, startProcess, stopAll, stopTree, tailFile } from './process.js';
import { isGone } from './proc-table.js';

const STUBBORN = fileURLToPath(new URL('../../test/fixtures/run/stubborn-tree.sh', import.meta.url));
const env = { ...process.env } as Record<string, string>;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-process-'));
});
afterAll(async () => {
  await stopAll(100);
  await rm(dir, { recursive: true, force: true });
});

const readPid = async (file: string): Promise<number> => Number((await readFile(file, 'utf8')).trim());

/** Resolves once `pred` holds; the test's own timeout bounds it. */
async function until(pred: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await pred())) await new Promise((r) => setTimeout(r, 20));
}

describe('runCommand', () => {
  it('reports exit codes and writes a header and the output to the log', async () => {
    const logFile = join(dir, 'logs', 'exit.log');
    const ok = await runCommand({ command: 'echo hello; echo oops >&2', cwd: dir, env, logFile });
    const bad = await runCommand({ command: 'exit 7', cwd: dir, env, logFile });
    expect(ok).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false });
    expect(bad.exitCode).toBe(7);
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('$ echo hello; echo oops >&2');
    expect(log).toContain('hello\n');
    expect(log).toContain('oops\n');
    // Appended, not overwritten: both runs are in the one file.
    expect(log).toContain('$ exit 7');
    expect(log).toMatch(/exited with code 7/);
    expect(ok.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('passes the given environment and cwd, and stdin is empty', async () => {
    const logFile = join(dir, 'env.log');
    const chunks: string[] = [];
    const r = await runCommand({
      command: 'echo "v=$SHIPGATE_TEST_VALUE"; pwd; cat; echo "stdin done"',
      cwd: dir,
      env: { PATH: env.PATH ?? '/usr/bin:/bin', SHIPGATE_TEST_VALUE: 'forty-two' },
      logFile,
      onOutput: (c) => chunks.push(c),
    });
    expect(r.exitCode).toBe(0);
    const out = chunks.join('');
    expect(out).toContain('v=forty-two');
    expect(out).toContain(dir);
    expect(out).toContain('stdin done');
  });

  it('on timeout stops a tree whose grandchild ignores TERM', async () => {
    const pidFile = join(dir, 'timeout.pid');
    const r = await runCommand({
      command: `sh ${STUBBORN} ${pidFile} tree`,
      cwd: dir,
      env,
      logFile: join(dir, 'timeout.log'),
      timeoutMs: 2500,
      graceMs: 200,
    });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).not.toBe(0);
    const grandchild = await readPid(pidFile);
    expect(grandchild).toBeGreaterThan(1);
    expect(await isGone(grandchild)).toBe(true);
    expect(await readFile(join(dir, 'timeout.log'), 'utf8')).toContain('grandchild ready');
  });

  it('on abort stops the tree, including a descendant that left the group with setsid', async () => {
    const pidFile = join(dir, 'abort.pid');
    const ac = new AbortController();
    const r = await runCommand({
      command: `sh ${STUBBORN} ${pidFile} setsid`,
      cwd: dir,
      env,
      logFile: join(dir, 'abort.log'),
      signal: ac.signal,
      graceMs: 200,
      onOutput: (c) => {
        if (c.includes('grandchild ready')) ac.abort();
      },
    });
    expect(r.cancelled).toBe(true);
    expect(r.timedOut).toBe(false);
    const grandchild = await readPid(pidFile);
    expect(await isGone(grandchild)).toBe(true);
  });

  it('stops what a command left running in its group after it exited', async () => {
    const pidFile = join(dir, 'orphan.pid');
    const r = await runCommand({
      command: `sh ${STUBBORN} ${pidFile} orphan`,
      cwd: dir,
      env,
      logFile: join(dir, 'orphan.log'),
      graceMs: 200,
    });
    expect(r.exitCode).toBe(0);
    expect(await isGone(await readPid(pidFile))).toBe(true);
  });

  it('returns cancelled without starting anything when already aborted', async () => {
    const marker = join(dir, 'never-started');
    const r = await runCommand({ command: `touch ${marker}`, cwd: dir, env, logFile: join(dir, 'pre.log'), signal: AbortSignal.abort() });
    expect(r.cancelled).toBe(true);
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('rejects with a stable code when the working directory is missing', async () => {
    await expect(runCommand({ command: 'true', cwd: join(dir, 'nope'), env, logFile: join(dir, 'x.log') })).rejects.toMatchObject({
      code: 'RUN_CWD_MISSING',
    });
  });

  it('rejects with a stable code when the log cannot be written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    await expect(runCommand({ command: 'true', cwd: dir, env, logFile: join(file, 'sub', 'x.log') })).rejects.toMatchObject({
      code: 'RUN_LOG_UNWRITABLE',
    });
  });
});

describe('startProcess / stopTree / registry', () => {
  it('tracks a long-running process until stopped, and stop kills a TERM-ignoring grandchild', async () => {
    const pidFile = join(dir, 'managed.pid');
    const before = liveProcessCount();
    const p = startProcess({ command: `sh ${STUBBORN} ${pidFile} tree`, cwd: dir, env, logFile: join(dir, 'managed.log'), graceMs: 200 });
    expect(p.isAlive()).toBe(true);
    expect(liveProcessCount()).toBe(before + 1);
    await until(async () => (await readFile(pidFile, 'utf8').catch(() => '')) !== '');
    await p.stop();
    expect(p.isAlive()).toBe(false);
    expect(await isGone(await readPid(pidFile))).toBe(true);
    expect(await isGone(p.pid)).toBe(true);
    expect(liveProcessCount()).toBe(before);
    const result = await p.exited;
    expect(result.signal).not.toBeNull();
  });

  it('stopAll stops every live process group', async () => {
    const a = startProcess({ command: 'sleep 30', cwd: dir, env, logFile: join(dir, 'all.log') });
    const b = startProcess({ command: 'sleep 30 & sleep 30; wait', cwd: dir, env, logFile: join(dir, 'all.log') });
    expect(liveProcessCount()).toBeGreaterThanOrEqual(2);
    await stopAll(200);
    expect(liveProcessCount()).toBe(0);
    expect(a.isAlive()).toBe(false);
    expect(b.isAlive()).toBe(false);
    expect(await isGone(a.pid)).toBe(true);
    expect(await isGone(b.pid)).toBe(true);
  });

  it('stopTree on a process that already exited resolves', async () => {
    const p = startProcess({ command: 'true', cwd: dir, env, logFile: join(dir, 'done.log') });
    await p.exited;
    await expect(stopTree(p.pid, 100)).resolves.toBeUndefined();
  });
});

describe('tailFile', () => {
  it('returns the last lines of a large file', async () => {
    const file = join(dir, 'big.log');
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
    await writeFile(file, `${lines.join('\n')}\n`);
    expect(await tailFile(file, 3)).toEqual(['line 49997', 'line 49998', 'line 49999']);
  });

  it('returns the whole file when it has fewer lines, and nothing for a missing file', async () => {
    const file = join(dir, 'small.log');
    await writeFile(file, 'a\nb');
    expect(await tailFile(file, 10)).toEqual(['a', 'b']);
    expect(await tailFile(join(dir, 'missing.log'), 10)).toEqual([]);
  });
});

describe('log cap', () => {
  it('cuts a runaway log at log-max with a marker, keeps reading so the command ends, and counts what it dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-logcap-'));
    const logFile = join(dir, 'gate.log');
    // 5 MB of output against a 1 MB cap.
    const res = await runCommand({
      command: `${process.execPath} -e "const b = 'x'.repeat(1024 * 1024); for (let i = 0; i < 5; i++) process.stdout.write(b); console.error('after the flood')"`,
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      logFile,
      logMaxBytes: 1_000_000,
    });
    expect(res.exitCode).toBe(0);
    const text = readFileSync(logFile, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThan(1_000_000 + 2000);
    expect(text).toContain('# shipgate: log cut here at 1 MB (log-max)');
    expect(text).toMatch(/# shipgate: \d+ bytes of output were discarded after the cut/);
    expect(text).toMatch(/# exited with code 0/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves an honest log alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-logcap-'));
    const logFile = join(dir, 'gate.log');
    await runCommand({ command: 'echo hello', cwd: dir, env: { PATH: process.env.PATH ?? '' }, logFile, logMaxBytes: 1_000_000 });
    const text = readFileSync(logFile, 'utf8');
    expect(text).toContain('hello');
    expect(text).not.toContain('log cut');
    rmSync(dir, { recursive: true, force: true });
  });
});
