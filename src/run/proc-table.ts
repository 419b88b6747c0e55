/**
 * A snapshot of the process table, used to find everything a command started so that stopping it
 * leaves nothing behind. On Linux this reads /proc directly (it also gives the process group and
 * the zombie state, which `ps`-based listing does not expose portably); elsewhere it falls back to
 * pidtree, which shells out to `ps`.
 */
import { readdir, readFile } from 'node:fs/promises';
import pidtree from 'pidtree';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group id; undefined when the platform does not tell us. */
  pgrp?: number;
  /** Single-letter state from /proc/<pid>/stat ('Z' = zombie); undefined when unknown. */
  state?: string;
}

const HAS_PROC = process.platform === 'linux';

/** Parse one /proc/<pid>/stat line. The command name is in parentheses and may itself contain spaces and ')'. */
export function parseStat(line: string): ProcInfo | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  const rest = line.slice(close + 1).trim().split(/\s+/);
  const [state, ppid, pgrp] = rest;
  if (!Number.isInteger(pid) || state === undefined || ppid === undefined || pgrp === undefined) return undefined;
  return { pid, ppid: Number(ppid), pgrp: Number(pgrp), state };
}

async function readProcStat(pid: number): Promise<ProcInfo | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // exited between readdir and read
  }
}

/** All processes visible to us. */
export async function listProcesses(): Promise<ProcInfo[]> {
  if (HAS_PROC) {
    const names = await readdir('/proc');
    const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
    const infos = await Promise.all(pids.map(readProcStat));
    return infos.filter((i): i is ProcInfo => i !== undefined);
  }
  try {
    const rows = await pidtree(-1, { advanced: true });
    return rows.map((r) => ({ pid: r.pid, ppid: r.ppid }));
  } catch {
    return [];
  }
}

/**
 * Every descendant of `root` (not including it) plus every member of process group `root`.
 * Descendants are found through parent links, so ones that left the group with setsid are included;
 * group members are found by group id, so ones reparented after their parent died are included too.
 */
export function treeAndGroup(table: ProcInfo[], root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const found = new Set<number>();
  const queue = [root];
  for (const p of table) if (p.pgrp === root && p.pid !== root) queue.push(p.pid);
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (pid !== root) {
      if (found.has(pid)) continue;
      found.add(pid);
    }
    for (const c of children.get(pid) ?? []) if (!found.has(c) && c !== root) queue.push(c);
  }
  return found;
}

/** True once `pid` no longer runs: it does not exist, or it is a zombie waiting to be reaped. */
export async function isGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM means it exists but belongs to someone else: not ours to wait for, but not gone.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (!HAS_PROC) return false;
  const info = await readProcStat(pid);
  return info === undefined || info.state === 'Z' || info.state === 'X';
}

/** True once no live (non-zombie) process is left in group `pgid`. */
export async function groupGone(pgid: number): Promise<boolean> {
  if (HAS_PROC) {
    const table = await listProcesses();
    return !table.some((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X');
  }
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Send a signal, ignoring "no such process" (it already exited) and "not permitted" (pid reused by someone else). */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH / EPERM: nothing left for us to signal.
  }
}
