/**
 * The watchdog as its own process (the built dist/run/watchdog.js): it sweeps a run when the pipe
 * from its shipgate closes, and at start it sweeps runs whose shipgate died without it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createCgroup, ENTER_CGROUP_SCRIPT, isPopulated, ownCgroupDir } from './cgroup.js';
import { closeContainment, containmentScope, openCell } from './containment.js';
import { formatToken, MARKER_ENV, markerIdsOf, newToken, pidNamespace } from './marker.js';
import { isDead, readStat } from './proc-table.js';
import { RUN_CGROUP_PREFIX } from './sweep.js';

const WATCHDOG = fileURLToPath(new URL('../../dist/run/watchdog.js', import.meta.url));
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.pid) spawnSync('kill', ['-KILL', String(c.pid)]);
  closeContainment();
});

const running = (pid: number): boolean => !isDead(readStat(pid));
/** Resolves once `pred` holds; the test's own timeout bounds it. */
async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 20));
}

function marked(id: string): ChildProcess {
  const c = spawn('/bin/sh', ['-c', 'exec sleep 120'], { env: { ...process.env, [MARKER_ENV]: id }, stdio: 'ignore', detached: true });
  started.push(c);
  return c;
}

function watchdog(token: string, cgroup?: string): ChildProcess {
  const args = [WATCHDOG, '--token', token, ...(cgroup ? ['--cgroup', cgroup] : [])];
  const w = spawn(process.execPath, args, { stdio: ['pipe', 'ignore', 'inherit'] });
  started.push(w);
  return w;
}

const exitOf = (c: ChildProcess): Promise<unknown> => new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', r)));

describe('watchdog', () => {
  it('kills everything carrying its run marker once the pipe from shipgate closes, then exits', async () => {
    const token = formatToken({ ...newToken(), nonce: randomBytes(4).toString('hex') });
    const ours = marked(`outer/1 ${token}/3`);
    const theirs = marked(`${formatToken({ ...newToken(), nonce: 'beef' })}/1`);
    const w = watchdog(token);
    await new Promise((r) => w.once('spawn', r));
    await new Promise((r) => setTimeout(r, 300));
    // While shipgate lives (the pipe is open), nothing is touched.
    expect(running(ours.pid!)).toBe(true);
    w.stdin!.end();
    await exitOf(w);
    await until(() => !running(ours.pid!));
    expect(running(theirs.pid!)).toBe(true);
  });

  it("kills the run's cgroup and removes it", async () => {
    const token = formatToken({ ...newToken(), nonce: randomBytes(4).toString('hex') });
    const root = join(ownCgroupDir()!, `${RUN_CGROUP_PREFIX}${token}`);
    createCgroup(root);
    createCgroup(join(root, 'c1'));
    // Scrubbed environment: only the cgroup knows it belongs to the run.
    const inside = spawn('/bin/sh', ['-c', ENTER_CGROUP_SCRIPT, join(root, 'c1', 'cgroup.procs'), 'exec sleep 120'], { env: {}, stdio: 'ignore', detached: true });
    started.push(inside);
    await until(() => isPopulated(root));
    const w = watchdog(token, root);
    w.stdin!.end();
    await exitOf(w);
    await until(() => !running(inside.pid!));
    expect(existsSync(root)).toBe(false);
  });

  it('at start, sweeps up runs whose shipgate is gone, and leaves live runs alone', async () => {
    // A shipgate that is gone: a process that ran and exited, named by its pid and start time.
    const gone = spawn('true');
    await new Promise((r) => gone.once('spawn', r));
    const goneToken = formatToken({ ns: pidNamespace(), pid: gone.pid!, start: readStat(gone.pid!)?.start ?? 1, nonce: 'dead' });
    await exitOf(gone);
    const orphan = marked(`${goneToken}/1`);
    const live = marked(`${formatToken(newToken())}/1`);
    const w = watchdog(formatToken({ ...newToken(), nonce: 'f00d' }));
    await until(() => !running(orphan.pid!));
    expect(running(live.pid!)).toBe(true);
    expect(w.exitCode).toBeNull();
    w.stdin!.end();
    await exitOf(w);
  });

  it("shipgate's own watchdog starts with the first command, in a session of its own, outside every cell", async () => {
    closeContainment();
    expect(containmentScope()).toBeUndefined();
    const cell = openCell();
    const { watchdogPid } = containmentScope()!;
    expect(watchdogPid).toBeGreaterThan(0);
    await until(() => readStat(watchdogPid!)?.sid === watchdogPid);
    expect(markerIdsOf(watchdogPid!)).not.toContain(cell.id);
    cell.release();
    closeContainment();
    await until(() => !running(watchdogPid!));
  });
});
