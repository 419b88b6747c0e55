import { describe, expect, it } from 'vitest';
import { parseStat, treeAndGroup, type ProcInfo } from './proc-table.js';

describe('parseStat', () => {
  it('reads state, parent and group even when the command name has spaces and parentheses', () => {
    expect(parseStat('4242 (my (odd) cmd) S 100 4200 4200 0 -1 4194304')).toEqual({ pid: 4242, ppid: 100, pgrp: 4200, state: 'S' });
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe('treeAndGroup', () => {
  it('finds descendants through parent links and group members reparented elsewhere', () => {
    const table: ProcInfo[] = [
      { pid: 10, ppid: 1, pgrp: 10 },
      { pid: 11, ppid: 10, pgrp: 10 },
      { pid: 12, ppid: 11, pgrp: 12 }, // left the group with setsid, still a descendant
      { pid: 13, ppid: 12, pgrp: 12 },
      { pid: 14, ppid: 1, pgrp: 10 }, // parent died: reparented to init, still in the group
      { pid: 15, ppid: 14, pgrp: 10 },
      { pid: 20, ppid: 1, pgrp: 20 }, // unrelated
    ];
    expect([...treeAndGroup(table, 10)].sort((a, b) => a - b)).toEqual([11, 12, 13, 14, 15]);
  });
});
