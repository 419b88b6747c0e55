/**
 * The containment marker: every process shipgate starts gets SHIPGATE_CONTAINMENT_ID in its
 * environment, and every descendant inherits it — through setsid, double forks and reparenting to
 * init — unless it deliberately starts itself with a scrubbed environment. Reading
 * /proc/<pid>/environ then finds what a gate left behind even when no parent link or process group
 * leads to it.
 *
 * The value is a space-separated list of cell ids, outermost first, so that a shipgate run inside
 * another shipgate's gate keeps the outer run's id as well and the outer run still finds everything:
 *   SHIPGATE_CONTAINMENT_ID="<outer token>/3 <token>/1"
 * A token names the shipgate process that owns the run: pid namespace, pid, start time (so a reused
 * pid is not mistaken for it) and a nonce.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { procPids, readStat } from './proc-table.js';

export const MARKER_ENV = 'SHIPGATE_CONTAINMENT_ID';

export interface RunToken {
  /** Inode of the owner's pid namespace: pids from another namespace say nothing about ours. */
  ns: string;
  pid: number;
  /** Owner's start time in clock ticks since boot. */
  start: number;
  nonce: string;
}

export function formatToken(t: RunToken): string {
  return `${t.ns}.${t.pid}.${t.start}.${t.nonce}`;
}

export function parseToken(s: string): RunToken | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.([0-9a-f]+)$/.exec(s);
  if (!m) return undefined;
  return { ns: m[1]!, pid: Number(m[2]), start: Number(m[3]), nonce: m[4]! };
}

/** The pid namespace inode of `pid` ("self" by default), or "0" where it cannot be read. */
export function pidNamespace(pid: number | 'self' = 'self'): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/pid`))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

/** A token for this process (on Linux; elsewhere start and namespace read as 0). */
export function newToken(): RunToken {
  return { ns: pidNamespace(), pid: process.pid, start: readStat(process.pid)?.start ?? 0, nonce: randomBytes(4).toString('hex') };
}

/** The marker value for a new cell: the inherited ids (from an enclosing run) plus this cell's. */
export function markerValue(inherited: string | undefined, cellId: string): string {
  const outer = (inherited ?? '').split(' ').filter((x) => x !== '' && x !== cellId);
  return [...outer, cellId].join(' ');
}

/** The cell ids in one process's environment block (NUL-separated NAME=value entries). */
export function markerIdsIn(environ: Buffer): string[] {
  const key = Buffer.from(`${MARKER_ENV}=`);
  let at = environ.indexOf(key);
  // Only a match at the start of an entry counts (not FOO_SHIPGATE_CONTAINMENT_ID=…).
  while (at > 0 && environ[at - 1] !== 0) at = environ.indexOf(key, at + 1);
  if (at < 0) return [];
  const end = environ.indexOf(0, at);
  const value = environ.toString('utf8', at + key.length, end < 0 ? environ.length : end);
  return value.split(' ').filter(Boolean);
}

/** The cell ids `pid` carries; [] when it has none or we may not read its environment. */
export function markerIdsOf(pid: number): string[] {
  try {
    return markerIdsIn(readFileSync(`/proc/${pid}/environ`));
  } catch {
    return []; // gone, or another user's (EACCES)
  }
}

/** The token part of a cell id ("<token>/<n>"). */
export function tokenOfId(id: string): string {
  const slash = id.lastIndexOf('/');
  return slash < 0 ? id : id.slice(0, slash);
}

export interface MarkedScan {
  /** Only processes started at or after this (clock ticks since boot) are read: older ones cannot be descendants. */
  since?: number;
  /** Processes never to report (ourselves, the watchdog). */
  exclude?: ReadonlySet<number>;
  /** Only processes owned by this uid (stale sweeps stay with the owner's own processes). */
  uid?: number;
}

/** Live processes carrying a cell id for which `match` holds. */
export function findMarked(match: (id: string) => boolean, opts: MarkedScan = {}): number[] {
  const found: number[] = [];
  for (const pid of procPids()) {
    if (opts.exclude?.has(pid)) continue;
    const st = readStat(pid);
    // Kernel threads (children of kthreadd, pid 2) have no environment; zombies no longer run.
    if (!st || st.state === 'Z' || st.state === 'X' || st.ppid === 2 || pid === 2) continue;
    if (opts.since !== undefined && st.start !== undefined && st.start < opts.since) continue;
    if (opts.uid !== undefined && ownerUid(pid) !== opts.uid) continue;
    if (markerIdsOf(pid).some(match)) found.push(pid);
  }
  return found;
}

function ownerUid(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/**
 * Whether the shipgate process a token names is still running. A token from another pid
 * namespace cannot be judged from here and counts as alive: never kill what we cannot vouch for.
 */
export function ownerAlive(t: RunToken, ourNs: string = pidNamespace()): boolean {
  if (t.ns !== ourNs) return true;
  const st = readStat(t.pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.start === t.start;
}
