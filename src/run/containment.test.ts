/**
 * Containment through process.ts, with real processes, in both mechanisms: the cgroup (what this
 * machine and CI allow) and the marker fallback (forced with SHIPGATE_CONTAINMENT=marker).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/fixtures/run/helpers.js';
import { closeContainment, containmentMode, containmentScope, markedProcesses } from './containment.js';
import { markerIdsOf } from './marker.js';
import { runCommand, startProcess, stopAll } from './process.js';
import { isDead, readStat } from './proc-table.js';

const DAEMON = fileURLToPath(new URL('../../test/fixtures/e2e/daemon.mjs', import.meta.url));
const STUBBORN = fileURLToPath(new URL('../../test/fixtures/e2e/stubborn.mjs', import.meta.url));
const WIPER = fileURLToPath(new URL('../../test/fixtures/e2e/wiper.py', import.meta.url));
const env = { ...process.env } as Record<string, string>;
delete env.SHIPGATE_CONTAINMENT_ID;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-contain-'));
});
afterAll(async () => {
  await stopAll(0);
  closeContainment();
  delete process.env.SHIPGATE_CONTAINMENT;
  await rm(dir, { recursive: true, force: true });
});

const running = (pid: number): boolean => !isDead(readStat(pid));
const readPid = async (file: string): Promise<number> => Number((await readFile(file, 'utf8')).trim());
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const daemonCmd = (label: string, port: number, mark: string, scrub = false): string =>
  [process.execPath, DAEMON, dir, label, String(port), mark, ...(scrub ? ['--scrub'] : [])].map(q).join(' ');

/** The body the port answers with, or the error code when nothing answers. */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

describe.each(['cgroup', 'marker'] as const)('%s containment', (mode) => {
  beforeAll(() => {
    closeContainment();
    process.env.SHIPGATE_CONTAINMENT = mode;
  });

  it('is the mechanism in use', async () => {
    const r = await runCommand({ command: 'true', cwd: dir, env, logFile: join(dir, `${mode}-first.log`) });
    expect(r.exitCode).toBe(0);
    expect(containmentMode()).toBe(mode);
    const s = containmentScope()!;
    expect(s.runRoot !== undefined).toBe(mode === 'cgroup');
    if (s.runRoot) expect(existsSync(s.runRoot)).toBe(true);
  });

  it("stops a command's double-forked setsid daemon when the command ends: its port answers no more", async () => {
    const port = await freePort();
    const mark = randomBytes(6).toString('hex');
    const label = `${mode}-cmd`;
    const r = await runCommand({
      command: `${daemonCmd(label, port, mark)} && echo "daemon on ${port}"`,
      cwd: dir,
      env,
      logFile: join(dir, `${label}.log`),
      graceMs: 200,
    });
    expect(r.exitCode).toBe(0);
    expect(await readFile(join(dir, `${label}.log`), 'utf8')).toContain(`daemon on ${port}`);
    const daemon = await readPid(join(dir, `${label}-daemon.pid`));
    expect(running(daemon)).toBe(false);
    expect(await ask(port)).not.toContain(mark);
    expect(markedProcesses()).toEqual([]);
  });

  it("lets a service's daemon live as long as the service, and stops it with the service", async () => {
    const port = await freePort();
    const mark = randomBytes(6).toString('hex');
    const label = `${mode}-svc`;
    const p = startProcess({ command: `${daemonCmd(label, port, mark)} && exec sleep 300`, cwd: dir, env, logFile: join(dir, `${label}.log`), graceMs: 200 });
    const pidFile = join(dir, `${label}-daemon.pid`);
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
    const daemon = await readPid(pidFile);
    // The attack is real: the daemon runs outside the service's process group and session, with the cell's marker.
    expect(readStat(daemon)?.sid).not.toBe(p.pid);
    expect(readStat(daemon)?.ppid).not.toBe(p.pid);
    expect(markerIdsOf(daemon).some((id) => id.startsWith(`${containmentScope()!.token}/`))).toBe(true);
    expect(await ask(port)).toBe(`daemon ${label} ${mark}`);
    expect(p.isAlive()).toBe(true);
    await p.stop();
    expect(running(daemon)).toBe(false);
    expect(await ask(port)).not.toContain(mark);
  });

  it('stops a setsid daemon that wipes the marker from its environment when it is asked to stop', async () => {
    const label = `${mode}-wiper`;
    const pidFile = join(dir, `${label}.pid`);
    const p = startProcess({ command: `python3 ${q(WIPER)} ${q(pidFile)} && exec sleep 300`, cwd: dir, env, logFile: join(dir, `${label}.log`), graceMs: 300 });
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
    const daemon = await readPid(pidFile);
    expect(readStat(daemon)?.sid).not.toBe(p.pid);
    expect(readStat(daemon)?.ppid).not.toBe(p.pid);
    expect(markerIdsOf(daemon).some((id) => id.startsWith(`${containmentScope()!.token}/`))).toBe(true);
    await p.stop();
    // The attack happened: on TERM it wiped its environment (the marker reads as gone)…
    expect(readFileSync(`${pidFile}.wiped`, 'utf8')).toBe('wiped');
    // …and it was stopped all the same, because what was found before the TERM is remembered.
    expect(running(daemon)).toBe(false);
  });

  it('also stops the child such a daemon forks after wiping its marker, once the daemon itself has exited', async () => {
    const label = `${mode}-forkwiper`;
    const pidFile = join(dir, `${label}.pid`);
    const p = startProcess({ command: `python3 ${q(WIPER)} ${q(pidFile)} --fork && exec sleep 300`, cwd: dir, env, logFile: join(dir, `${label}.log`), graceMs: 300 });
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
    const daemon = await readPid(pidFile);
    await p.stop();
    // The attack happened: the daemon wiped its marker, forked a child with none, and exited…
    expect(readFileSync(`${pidFile}.wiped`, 'utf8')).toBe('wiped');
    const child = await readPid(`${pidFile}.child`);
    expect(child).not.toBe(daemon);
    expect(running(daemon)).toBe(false);
    // …and the child, in the daemon's session, was stopped with it.
    expect(running(child)).toBe(false);
  });

  it('lets a command wait for the background helper it started', async () => {
    const helperOut = join(dir, `${mode}-helper.out`);
    const r = await runCommand({
      command: `(sleep 0.3; echo helped > ${q(helperOut)}) & wait $! && cat ${q(helperOut)}`,
      cwd: dir,
      env,
      logFile: join(dir, `${mode}-helper.log`),
    });
    expect(r.exitCode).toBe(0);
    expect(await readFile(join(dir, `${mode}-helper.log`), 'utf8')).toContain('helped\n');
  });

  it('stops a TERM-ignoring process the command left in the background, after the grace', async () => {
    const pidFile = join(dir, `${mode}-stubborn.pid`);
    const r = await runCommand({
      command: `${q(process.execPath)} ${q(STUBBORN)} ${q(pidFile)} & while [ ! -s ${q(pidFile)} ]; do sleep 0.02; done`,
      cwd: dir,
      env,
      logFile: join(dir, `${mode}-stubborn.log`),
      graceMs: 200,
    });
    expect(r.exitCode).toBe(0);
    expect(running(await readPid(pidFile))).toBe(false);
    // It was asked first: TERM, which it ignored, then KILL.
    expect(await readFile(join(dir, `${mode}-stubborn.log`), 'utf8')).toContain('stubborn: ignoring SIGTERM');
  });
});

describe('cgroup containment', () => {
  beforeAll(() => {
    closeContainment();
    process.env.SHIPGATE_CONTAINMENT = 'cgroup';
  });

  it('also stops a daemon that scrubbed its environment (no marker left to find it by)', async () => {
    const port = await freePort();
    const mark = randomBytes(6).toString('hex');
    const r = await runCommand({ command: daemonCmd('scrub', port, mark, true), cwd: dir, env, logFile: join(dir, 'scrub.log'), graceMs: 200 });
    expect(r.exitCode).toBe(0);
    const daemon = await readPid(join(dir, 'scrub-daemon.pid'));
    expect(running(daemon)).toBe(false);
    expect(await ask(port)).not.toContain(mark);
  });

  it('runs the next commands normally after a cell whose cgroup had to be killed (a killed cgroup is never handed on)', async () => {
    // No grace: the leftover is killed with cgroup.kill, after which the kernel would SIGKILL
    // anything cloned into that cgroup; the cells after it must get other cgroups.
    const left = await runCommand({ command: 'sleep 30 & echo left', cwd: dir, env, logFile: join(dir, 'killed-cell.log'), graceMs: 0 });
    expect(left.exitCode).toBe(0);
    for (let i = 0; i < 3; i++) {
      const r = await runCommand({ command: `echo after-${i}`, cwd: dir, env, logFile: join(dir, 'after-killed.log') });
      expect(r).toMatchObject({ exitCode: 0, signal: null });
    }
    expect(readFileSync(join(dir, 'after-killed.log'), 'utf8')).toContain('after-2\n');
  });

  it('runs commands in cgroups of their own, beside nothing of shipgate', async () => {
    const out = join(dir, 'cg.txt');
    const r = await runCommand({ command: `cat /proc/self/cgroup > ${q(out)}`, cwd: dir, env, logFile: join(dir, 'cg.log') });
    expect(r.exitCode).toBe(0);
    const line = readFileSync(out, 'utf8').split('\n').find((l) => l.startsWith('0::'))!;
    const { token } = containmentScope()!;
    expect(line).toMatch(new RegExp(`/shipgate\\.${token.replace(/\./g, '\\.')}/c\\d+$`));
    // shipgate stays where it was (inside an outer run's cell, when shipgate gates itself).
    expect(readFileSync('/proc/self/cgroup', 'utf8')).not.toContain(token);
  });
});

describe('SHIPGATE_CONTAINMENT', () => {
  it('refuses a mechanism it does not know, with a stable code, before starting anything', async () => {
    closeContainment();
    process.env.SHIPGATE_CONTAINMENT = 'none';
    const marker = join(dir, 'never.ran');
    await expect(runCommand({ command: `touch ${q(marker)}`, cwd: dir, env, logFile: join(dir, 'bogus.log') })).rejects.toMatchObject({
      code: 'RUN_CONTAINMENT_MODE',
    });
    expect(existsSync(marker)).toBe(false);
    closeContainment();
    delete process.env.SHIPGATE_CONTAINMENT;
  });
});
