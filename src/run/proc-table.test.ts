import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groupEmptyByKernel, groupGone, listProcessesSync, parseStat, readStat, treeAndGroup, type ProcInfo } from './proc-table.js';

describe('parseStat', () => {
  it('reads state, parent, group, session and start time even when the command name has spaces and parentheses', () => {
    const line = '4242 (my (odd) cmd) S 100 4200 4100 0 -1 4194304 0 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10';
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 100, pgrp: 4200, sid: 4100, state: 'S', start: 987654 });
    expect(parseStat('4242 (short) S 100 4200')).toEqual({ pid: 4242, ppid: 100, pgrp: 4200, state: 'S' });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('reads this process: its start time identifies it', () => {
    const me = readStat(process.pid);
    expect(me?.pid).toBe(process.pid);
    expect(me?.start).toBeGreaterThan(0);
    expect(listProcessesSync().some((p) => p.pid === process.pid && p.start === me?.start)).toBe(true);
  });
});

describe('treeAndGroup', () => {
  it('finds descendants through parent links and group or session members reparented elsewhere', () => {
    const table: ProcInfo[] = [
      { pid: 10, ppid: 1, pgrp: 10, sid: 10 },
      { pid: 11, ppid: 10, pgrp: 10, sid: 10 },
      { pid: 12, ppid: 11, pgrp: 12, sid: 12 }, // left the group with setsid, still a descendant
      { pid: 13, ppid: 12, pgrp: 12, sid: 12 },
      { pid: 14, ppid: 1, pgrp: 10, sid: 10 }, // parent died: reparented to init, still in the group
      { pid: 15, ppid: 14, pgrp: 10, sid: 10 },
      { pid: 16, ppid: 1, pgrp: 16, sid: 10 }, // own group (job control), same session
      { pid: 20, ppid: 1, pgrp: 20, sid: 20 }, // unrelated
    ];
    expect([...treeAndGroup(table, 10)].sort((a, b) => a - b)).toEqual([11, 12, 13, 14, 15, 16]);
  });

  it('once the root is reaped, follows its group and session but not its pid, which may be reused', () => {
    const table: ProcInfo[] = [
      { pid: 10, ppid: 1, pgrp: 10, sid: 10 }, // a new, unrelated process that got the pid
      { pid: 11, ppid: 10, pgrp: 10, sid: 10 }, // its child
      { pid: 14, ppid: 1, pgrp: 77, sid: 77 }, // ours: a group member, reparented
      { pid: 15, ppid: 14, pgrp: 77, sid: 77 },
    ];
    expect([...treeAndGroup(table, 77, { rootChildren: false })].sort((a, b) => a - b)).toEqual([14, 15]);
    // Here pid 10 is another process now: its children are not ours.
    expect([...treeAndGroup([{ pid: 10, ppid: 1, pgrp: 10, sid: 10 }, { pid: 12, ppid: 10, pgrp: 12, sid: 12 }], 10, { rootChildren: false })]).toEqual([]);
  });
});

describe('groupGone', () => {
  it('asks the kernel: a live group is not gone, an ended one is', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid!;
    expect(groupEmptyByKernel(pgid)).toBe(false);
    expect(await groupGone(pgid)).toBe(false);
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-pgid, 'SIGKILL');
    await exited;
    expect(groupEmptyByKernel(pgid)).toBe(true);
    expect(await groupGone(pgid)).toBe(true);
  });
});
