/**
 * Containment: nothing a gate or service starts may outlive it, its run, or shipgate itself.
 *
 * Every process shipgate launches gets a *cell*, and the cell — not the process tree, which a
 * daemon leaves by double-forking — is what gets stopped:
 *
 *  - cgroup (preferred, Linux with a writable cgroup v2 hierarchy): one cgroup per cell under a
 *    run-root cgroup `shipgate.<token>` beside shipgate's own. The command enters it in a
 *    two-builtin shell prologue before anything of it runs, so every descendant is tracked by the
 *    kernel for its whole life. "Anything left?" is one small file read; stopping is one write.
 *  - marker (Linux without a usable cgroup): the cell's process group, session and parent links,
 *    plus every process whose environment carries the cell's SHIPGATE_CONTAINMENT_ID (see
 *    marker.ts). Found by reading /proc when a cell stops.
 *  - group (no /proc): the process group and the parent-link tree, as `ps` shows it.
 *
 * Every mode also sets the marker, so that the watchdog (watchdog.ts) — a small detached process
 * that outlives a SIGKILLed shipgate — and the next run's stale sweep can find what is left.
 * SHIPGATE_CONTAINMENT=auto|cgroup|marker picks the mechanism (auto: the best available).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShipgateError } from '../errors.js';
import { ownPackage } from '../util/package-root.js';
import { canDelegate, cgroupPids, createCgroup, ENTER_CGROUP_SCRIPT, isPopulated, killCgroup, ownCgroupDir, removeCgroup } from './cgroup.js';
import { findMarked, formatToken, MARKER_ENV, markerIdsOf, markerValue, newToken } from './marker.js';
import { groupEmptyByKernel, HAS_PROC, isDead, listProcesses, listProcessesSync, readStat, signalQuietly, treeAndGroup, type ProcInfo } from './proc-table.js';
import { Spawner, spawnerPath, type HelperChild } from './spawner.js';
import { killMarkedSync, RUN_CGROUP_PREFIX, sweepStaleCgroups } from './sweep.js';

export type ContainmentMode = 'cgroup' | 'marker' | 'group';

/** Everything one launched command (a gate's command, a service, a readiness check) may become. */
export interface Cell {
  /** `<run token>/<n>`: what the marker of this cell's processes contains. */
  readonly id: string;
  readonly mode: ContainmentMode;
  /** Environment the process must start with (the marker). */
  readonly env: Record<string, string>;
  /** How to start `command` (a /bin/sh -c script) inside the cell. */
  argv(command: string): { file: string; args: string[] };
  /**
   * Start `file args` cloned straight into the cell's cgroup by the run's spawner (spawner.ts), or
   * undefined where there is none (then the caller uses argv() and Node's spawn). The kernel tracks
   * such a command from birth, so its pid — which the spawner, not this process, reaps — is never
   * signalled: the cgroup is.
   */
  startInside(file: string, args: readonly string[], opts: { cwd: string; env: Record<string, string> }): HelperChild | undefined;
  /** The started shell's pid; it is spawned detached, so it leads its own group and session. */
  attach(pid: number): void;
  /**
   * The shell has exited and been reaped: from now on its pid may name someone else's process and
   * is never signalled. (Until then it cannot: even a zombie keeps its pid.)
   */
  reaped(): void;
  /** True once nothing of the cell runs. Asks the kernel first; reads the process table only when needed. */
  isEmpty(): Promise<boolean>;
  /** Send `signal` to every process of the cell. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** SIGKILL every process of the cell, synchronously where the mechanism allows. */
  killSync(): void;
  /** Forget the cell (remove its cgroup). Call once it is empty; harmless otherwise. */
  release(): void;
  /** Is `pid` one of this cell's processes (a listener on a service's port must be)? */
  owns(pid: number): boolean;
}

interface Scope {
  mode: ContainmentMode;
  token: string;
  /** cgroup mode: the run-root cgroup every cell lives under. */
  runRoot?: string;
  next: number;
  /** Cells whose shell has not been reaped yet, for the hard-exit path. */
  shells: Set<BaseCell>;
  /**
   * cgroup mode: cell cgroups that were seen empty and are free for the next cell. Making and
   * removing a cgroup costs the kernel far more than reusing one (measured ~0.5 ms each under load).
   */
  free: string[];
  watchdog?: ChildProcess;
  /** cgroup mode with a built helper: starts the commands, and becomes the watchdog when shipgate ends. */
  spawner?: Spawner;
  closed?: boolean;
}

let scope: Scope | undefined;

function unavailable(want: string, why: string): ShipgateError {
  return new ShipgateError('RUN_CONTAINMENT_UNAVAILABLE', `SHIPGATE_CONTAINMENT=${want}, but ${why}`, {
    hint:
      want === 'cgroup'
        ? 'run where a cgroup v2 hierarchy is writable (as root, or in a delegated subtree), or unset SHIPGATE_CONTAINMENT to use the best mechanism available'
        : 'unset SHIPGATE_CONTAINMENT to use the best mechanism available',
  });
}

function requestedMode(): 'auto' | 'cgroup' | 'marker' {
  const v = (process.env.SHIPGATE_CONTAINMENT ?? '').trim() || 'auto';
  if (v === 'auto' || v === 'cgroup' || v === 'marker') return v;
  throw new ShipgateError('RUN_CONTAINMENT_MODE', `SHIPGATE_CONTAINMENT must be auto, cgroup or marker, not "${v}"`, {
    hint: 'unset it to use the best mechanism the machine allows',
  });
}

/** Try to make the run-root cgroup; undefined (and why) when this machine does not let us. */
function makeRunRoot(token: string): { dir?: string; why?: string } {
  const own = ownCgroupDir();
  if (!own) return { why: 'this process is not in a cgroup v2 hierarchy (no cgroup2 mount shows it)' };
  if (!existsSync(join(own, 'cgroup.procs'))) return { why: `${own} is not a cgroup v2 directory` };
  if (!canDelegate(own)) return { why: `${own} is not writable by this user` };
  // Leftovers of runs whose shipgate and watchdog were both killed: stopped before anything new starts.
  void sweepStaleCgroups(own, undefined, false);
  const dir = join(own, `${RUN_CGROUP_PREFIX}${token}`);
  try {
    createCgroup(dir);
    return { dir };
  } catch (e) {
    return { why: `cannot create ${dir}: ${(e as Error).message}` };
  }
}

function watchdogScript(): string | undefined {
  // Built beside this file in dist/run/ (the library); the CLI bundle and the sources (tests) use
  // that built copy too, found in shipgate's own package, never in a folder around it.
  const root = ownPackage()?.root;
  const candidates = [fileURLToPath(new URL('./watchdog.js', import.meta.url)), ...(root ? [join(root, 'dist', 'run', 'watchdog.js')] : [])];
  return candidates.find((path) => existsSync(path));
}

/**
 * The watchdog holds the read end of a pipe whose write end only this process has: when this
 * process ends, however it ends, the watchdog reads EOF and sweeps the run. Detached (own session)
 * so a terminal's Ctrl-C or hang-up does not reach it; its output goes nowhere, so nobody waiting
 * for shipgate's stdout to close waits for it; unreferenced, so it never keeps shipgate alive.
 */
function startWatchdog(s: Scope): void {
  const script = watchdogScript();
  if (!script) return;
  const args = [script, '--token', s.token];
  if (s.runRoot) args.push('--cgroup', s.runRoot);
  // NODE_OPTIONS may load a coverage hook or a loader meant for shipgate; the watchdog needs none.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const helper = s.mode === 'cgroup' && !s.spawner ? spawnerPath() : undefined;
  if (helper) {
    // The spawner waits in the watchdog's place and becomes it when shipgate ends: one small
    // process instead of a second Node during the run. Should it fail, a Node watchdog after all.
    s.spawner = new Spawner(helper, { argv: [process.execPath, ...args], env }, () => {
      if (!s.closed && !s.watchdog) startWatchdog(s);
    });
    return;
  }
  try {
    const child = spawn(process.execPath, args, { cwd: '/', env, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => {
      // Could not start it: containment still works while shipgate lives.
    });
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    s.watchdog = child;
  } catch {
    // As above: no watchdog, no protection against a SIGKILL of shipgate, everything else unchanged.
  }
}

/** The containment of this shipgate process, set up when the first command is launched (never at start-up). */
function currentScope(): Scope {
  if (scope) return scope;
  const want = requestedMode();
  const token = formatToken(newToken());
  let mode: ContainmentMode = HAS_PROC ? 'marker' : 'group';
  let runRoot: string | undefined;
  if (HAS_PROC && want !== 'marker') {
    const r = makeRunRoot(token);
    if (r.dir) {
      mode = 'cgroup';
      runRoot = r.dir;
    } else if (want === 'cgroup') {
      throw unavailable(want, r.why ?? 'no cgroup v2 hierarchy is usable');
    }
  } else if (!HAS_PROC && want !== 'auto') {
    throw unavailable(want, 'this platform has no /proc');
  }
  scope = { mode, token, runRoot, next: 0, shells: new Set(), free: [] };
  // Without /proc the watchdog could not find anything by marker; there it is not started.
  if (HAS_PROC) startWatchdog(scope);
  return scope;
}

/** Which mechanism contains this process's commands (sets containment up if it was not yet). */
export function containmentMode(): ContainmentMode {
  return currentScope().mode;
}

/** The run token and run-root cgroup of this process, once set up (for tests and diagnostics). */
export function containmentScope(): { mode: ContainmentMode; token: string; runRoot?: string; watchdogPid?: number } | undefined {
  return scope && { mode: scope.mode, token: scope.token, runRoot: scope.runRoot, watchdogPid: scope.watchdog?.pid ?? scope.spawner?.pid };
}

/* ---------- cells ---------- */

abstract class BaseCell implements Cell {
  abstract readonly mode: ContainmentMode;
  readonly env: Record<string, string>;
  pid = -1;
  private gone = false;
  constructor(
    protected readonly s: Scope,
    readonly id: string,
    inherited: string | undefined,
  ) {
    this.env = { [MARKER_ENV]: markerValue(inherited, id) };
  }
  argv(command: string): { file: string; args: string[] } {
    return { file: '/bin/sh', args: ['-c', command] };
  }
  startInside(_file: string, _args: readonly string[], _opts: { cwd: string; env: Record<string, string> }): HelperChild | undefined {
    return undefined;
  }
  attach(pid: number): void {
    this.pid = pid;
    this.s.shells.add(this);
  }
  reaped(): void {
    this.gone = true;
    this.s.shells.delete(this);
  }
  /** The shell's pid is still ours to signal: it has not been reaped. */
  shellOurs(): boolean {
    return this.pid > 0 && !this.gone;
  }
  /** The shell itself still runs (not reaped, and not a zombie waiting to be). */
  protected shellRunning(): boolean {
    if (!this.shellOurs()) return false;
    return HAS_PROC ? !isDead(readStat(this.pid)) : isAliveQuietly(this.pid);
  }
  abstract isEmpty(): Promise<boolean>;
  abstract signal(signal: NodeJS.Signals): Promise<void>;
  abstract killSync(): void;
  release(): void {
    this.s.shells.delete(this);
  }
  /** Its marker in the process's environment, or a descendant of its shell. */
  owns(pid: number): boolean {
    if (this.shellOurs() && pid === this.pid) return true;
    if (markerIdsOf(pid).includes(this.id)) return true;
    return this.shellOurs() && treeAndGroup(listProcessesSync(), this.pid, { rootChildren: true }).has(pid);
  }
}

class CgroupCell extends BaseCell {
  readonly mode = 'cgroup';
  /** Seen empty with its shell gone: nothing can enter it again (only our prologue or the spawner puts anyone in). */
  private empty = false;
  /** Cloned into the cgroup by the spawner: no shell pid of ours to follow. */
  private born = false;
  /**
   * cgroup.kill was written: the kernel (seen on 6.18) SIGKILLs every process later cloned into
   * that cgroup with CLONE_INTO_CGROUP, so it is never handed to another cell.
   */
  private killed = false;
  constructor(
    s: Scope,
    id: string,
    inherited: string | undefined,
    private readonly dir: string,
  ) {
    super(s, id, inherited);
  }
  override startInside(file: string, args: readonly string[], opts: { cwd: string; env: Record<string, string> }): HelperChild | undefined {
    const spawner = this.s.spawner;
    if (!spawner?.usable) return undefined;
    const kid = spawner.spawn(this.dir, file, args, opts);
    this.born = true;
    return kid;
  }
  override shellOurs(): boolean {
    return !this.born && super.shellOurs();
  }
  override argv(command: string): { file: string; args: string[] } {
    return { file: '/bin/sh', args: ['-c', ENTER_CGROUP_SCRIPT, join(this.dir, 'cgroup.procs'), command] };
  }
  async isEmpty(): Promise<boolean> {
    // Until its prologue has run, the shell is not in the cgroup yet: it counts on its own.
    this.empty = !isPopulated(this.dir) && !this.shellRunning();
    return this.empty;
  }
  async signal(signal: NodeJS.Signals): Promise<void> {
    for (const pid of cgroupPids(this.dir)) signalQuietly(pid, signal);
    if (this.shellOurs()) signalQuietly(this.pid, signal);
  }
  killSync(): void {
    if (this.shellOurs()) signalQuietly(this.pid, 'SIGKILL');
    this.killed = true;
    killCgroup(this.dir);
  }
  override owns(pid: number): boolean {
    // The kernel's answer first: a process in the cell's cgroup is the cell's, marker or not.
    return cgroupPids(this.dir).includes(pid) || super.owns(pid);
  }
  override release(): void {
    super.release();
    // An empty cgroup is kept for the next cell, unless it was killed (then removed: the next cell
    // gets a new one); one that still holds something (a process stuck in the kernel) is left for
    // the watchdog, which removes the whole run root at the end.
    if (this.killed) removeCgroup(this.dir);
    else if (this.empty || !isPopulated(this.dir)) this.s.free.push(this.dir);
    this.empty = false;
  }
}

class MarkerCell extends BaseCell {
  readonly mode = 'marker';
  /** The shell's start time: nothing started before it can descend from it, so older processes are never read. */
  private since?: number;
  /**
   * Every process once found as a member, with its start time, kept until it is really gone. The
   * marker alone cannot vouch for that: a process can overwrite its environment block (wiping the
   * marker once it is asked to stop), and a killed one reads as an empty environment from the
   * moment its memory is released until it becomes a zombie, while its sockets may still be open.
   */
  private readonly seen = new Map<number, number | undefined>();
  /**
   * Sessions and process groups of members, followed while they hold a process: a remembered
   * process that wipes its marker and forks leaves a child with no marker, reparented to init, in
   * its session. Never one that holds a process older than the cell (someone else's session).
   */
  private readonly claims = new Set<number>();
  override attach(pid: number): void {
    super.attach(pid);
    this.since = readStat(pid)?.start;
  }
  /** Born at or after the cell's shell: only such a process can descend from it. */
  private young(p: ProcInfo): boolean {
    return this.since === undefined || p.start === undefined || p.start >= this.since;
  }
  /** Live processes of the cell: its group, session and tree, everything carrying its marker, everything seen before, and their sessions and descendants. */
  members(): number[] {
    const table = listProcessesSync();
    const alive = table.filter((p) => !isDead(p) && p.pid !== process.pid && p.ppid !== 2);
    const live = new Map(alive.map((p) => [p.pid, p]));
    // Group and session ids stay ours while any member lives (Linux does not hand out a pid still
    // in use as one); the shell's own pid, once reaped, may be anyone's, so its children are not
    // looked for then.
    const found = this.pid > 0 ? treeAndGroup(table, this.pid, { rootChildren: this.shellOurs() }) : new Set<number>();
    if (this.shellRunning()) found.add(this.pid);
    for (const p of alive) {
      if (found.has(p.pid) || !this.young(p)) continue;
      if (markerIdsOf(p.pid).includes(this.id)) found.add(p.pid);
    }
    // A pid seen before is the same process only while its start time matches (pids are reused).
    for (const [pid, start] of this.seen) {
      if (live.get(pid)?.start === start) found.add(pid);
      else this.seen.delete(pid);
    }
    for (const id of this.claims) {
      const holders = alive.filter((p) => p.sid === id || p.pgrp === id);
      if (holders.length === 0) this.claims.delete(id);
      for (const p of holders) if (this.young(p)) found.add(p.pid);
    }
    // Every descendant of a member is one (a remembered process's children carry no marker either).
    const children = new Map<number, number[]>();
    for (const p of alive) {
      const list = children.get(p.ppid);
      if (list) list.push(p.pid);
      else children.set(p.ppid, [p.pid]);
    }
    const queue = [...found];
    while (queue.length > 0) {
      for (const c of children.get(queue.pop()!) ?? []) {
        if (!found.has(c)) {
          found.add(c);
          queue.push(c);
        }
      }
    }
    const members = [...found].filter((pid) => live.has(pid));
    for (const pid of members) {
      const p = live.get(pid)!;
      if (!this.seen.has(pid)) this.seen.set(pid, p.start);
      for (const id of [p.sid, p.pgrp]) {
        if (id === undefined || id <= 1 || this.claims.has(id)) continue;
        if (alive.every((q) => (q.sid !== id && q.pgrp !== id) || this.young(q))) this.claims.add(id);
      }
    }
    return members;
  }
  async isEmpty(): Promise<boolean> {
    if (this.shellRunning()) return false;
    return this.members().length === 0;
  }
  async signal(signal: NodeJS.Signals): Promise<void> {
    for (const pid of this.members()) signalQuietly(pid, signal);
  }
  killSync(): void {
    for (const pid of this.members()) signalQuietly(pid, 'SIGKILL');
  }
}

/** No /proc: the process group and the tree `ps` shows, remembered at the first signal (a reparented grandchild drops out of the tree). */
class GroupCell extends BaseCell {
  readonly mode = 'group';
  private readonly seen = new Set<number>();
  async isEmpty(): Promise<boolean> {
    if (this.pid < 0) return true;
    return groupEmptyByKernel(this.pid) && !this.shellRunning() && ![...this.seen].some(isAliveQuietly);
  }
  async signal(signal: NodeJS.Signals): Promise<void> {
    if (this.pid < 0) return;
    for (const p of treeAndGroup(await listProcesses(), this.pid, { rootChildren: this.shellOurs() })) this.seen.add(p);
    signalQuietly(-this.pid, signal);
    if (this.shellOurs()) signalQuietly(this.pid, signal);
    for (const p of this.seen) signalQuietly(p, signal);
  }
  killSync(): void {
    if (this.pid < 0) return;
    signalQuietly(-this.pid, 'SIGKILL');
    for (const p of this.seen) signalQuietly(p, 'SIGKILL');
  }
}

function isAliveQuietly(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new cell for one command. `inherited` is the marker already in the command's environment (set
 * when shipgate itself runs inside another shipgate's gate), kept so the outer run finds ours too.
 * Throws a ShipgateError only when SHIPGATE_CONTAINMENT asks for what the machine cannot do.
 */
export function openCell(inherited?: string): Cell {
  const s = currentScope();
  const id = `${s.token}/${++s.next}`;
  if (s.mode === 'cgroup' && s.runRoot) {
    const reused = s.free.pop();
    if (reused) return new CgroupCell(s, id, inherited, reused);
    const dir = join(s.runRoot, `c${s.next}`);
    try {
      createCgroup(dir);
      return new CgroupCell(s, id, inherited, dir);
    } catch {
      // The run root vanished or filled up: this one command falls back to the marker, which
      // still finds everything that does not scrub its environment.
    }
  }
  return s.mode === 'group' ? new GroupCell(s, id, inherited) : new MarkerCell(s, id, inherited);
}

/**
 * SIGKILL everything every cell of this process holds, synchronously: for an exit that cannot wait
 * (a third signal, or the hard bound after the second). The watchdog repeats it once we are gone.
 */
export function killEverythingSync(): void {
  const s = scope;
  if (!s) return;
  for (const cell of s.shells) {
    signalQuietly(-cell.pid, 'SIGKILL');
    signalQuietly(cell.pid, 'SIGKILL');
  }
  if (s.runRoot) killCgroup(s.runRoot);
  // Every cell cgroup below the run root was killed with it: none may be handed on (see CgroupCell.killed).
  s.free.length = 0;
  if (HAS_PROC) killMarkedSync(s.token, new Set([process.pid, ...[s.watchdog?.pid, s.spawner?.pid].filter((p) => p !== undefined)]));
}

/** Processes carrying any cell id of this process's run (for tests and diagnostics). */
export function markedProcesses(): number[] {
  const s = scope;
  if (!s || !HAS_PROC) return [];
  return findMarked((id) => id.startsWith(`${s.token}/`), { exclude: new Set([process.pid]) });
}

/**
 * End this process's containment: kill whatever its cells still hold, close the watchdog's pipe
 * (it sweeps and exits), and forget the scope, so that the next launch sets up afresh (reading
 * SHIPGATE_CONTAINMENT again). For tests, and for a host embedding shipgate that wants it gone.
 */
export function closeContainment(): void {
  const s = scope;
  if (!s) return;
  killEverythingSync();
  s.closed = true;
  s.watchdog?.stdin?.destroy();
  s.spawner?.close();
  scope = undefined;
}
