/**
 * Hurry (a second interrupt): every stop, running or future, gives up its grace period. Its own
 * file, because hurry is module state for the rest of the process's life.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeContainment } from './containment.js';
import { hurry, isHurried, liveProcessCount, runCommand, startProcess, stopAll } from './process.js';
import { isDead, readStat } from './proc-table.js';

const STUBBORN = fileURLToPath(new URL('../../test/fixtures/e2e/stubborn.mjs', import.meta.url));
const env = { ...process.env } as Record<string, string>;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-hurry-'));
});
afterAll(async () => {
  await stopAll(0);
  closeContainment();
  await rm(dir, { recursive: true, force: true });
});

/** A grace period no test would outlive: if a stop still waited for it, the test would time out. */
const FOREVER_MS = 10 * 60_000;
const stubborn = (name: string): string => `"${process.execPath}" "${STUBBORN}" "${join(dir, name)}"`;
const pidIn = async (name: string): Promise<number> => {
  for (;;) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (text.trim()) return Number(text.trim());
    await new Promise((r) => setTimeout(r, 20));
  }
};
const running = (pid: number): boolean => !isDead(readStat(pid));

describe('hurry', () => {
  it('cuts short a stop already waiting out its grace, stops what runs, and leaves future stops without grace', async () => {
    const service = startProcess({ command: stubborn('svc.pid'), cwd: dir, env, logFile: join(dir, 'svc.log'), graceMs: FOREVER_MS });
    const ac = new AbortController();
    const gate = runCommand({ command: stubborn('gate.pid'), cwd: dir, env, logFile: join(dir, 'gate.log'), signal: ac.signal, graceMs: FOREVER_MS });
    const [svcPid, gatePid] = [await pidIn('svc.pid'), await pidIn('gate.pid')];

    // The first interrupt: TERM, ignored; the stop would now wait out its grace.
    ac.abort();
    for (;;) {
      if ((await readFile(join(dir, 'gate.log'), 'utf8')).includes('ignoring SIGTERM')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(running(gatePid)).toBe(true);

    // The second: everything goes now.
    expect(isHurried()).toBe(false);
    hurry();
    expect(isHurried()).toBe(true);
    const res = await gate;
    expect(res.cancelled).toBe(true);
    expect(running(gatePid)).toBe(false);
    await service.exited;
    expect(running(svcPid)).toBe(false);
    expect(liveProcessCount()).toBe(0);

    // A stop asked for after the hurry does not wait either, whatever grace it asks for.
    const late = startProcess({ command: stubborn('late.pid'), cwd: dir, env, logFile: join(dir, 'late.log'), graceMs: FOREVER_MS });
    const latePid = await pidIn('late.pid');
    await late.stop(FOREVER_MS);
    expect(running(latePid)).toBe(false);
  });
});
