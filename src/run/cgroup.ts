/**
 * The few cgroup v2 operations containment needs. A cgroup is the one thing a process cannot leave
 * by forking, setsid or losing its parent: the kernel tracks membership for the process's whole
 * life, tells us in one small file whether anyone is left (`cgroup.events: populated`), and kills
 * the whole subtree in one write (`cgroup.kill`, Linux ≥ 5.14). No controllers are needed, so this
 * also works on a hybrid (v1 + v2) machine through its cgroup2 mount.
 */
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalQuietly } from './proc-table.js';

/** Undo mountinfo's octal escapes (`\040` for a space). */
const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Where this process's own cgroup v2 directory is, given /proc/self/cgroup and /proc/self/mountinfo
 * (pure, for tests). Undefined when there is no cgroup2 mount that shows our cgroup.
 */
export function locateOwnCgroup(procCgroup: string, mountinfo: string): string | undefined {
  const line = procCgroup.split('\n').find((l) => l.startsWith('0::'));
  if (!line) return undefined;
  const path = line.slice(3).trim();
  if (!path.startsWith('/') || path.includes('(deleted)')) return undefined;
  for (const m of mountinfo.split('\n')) {
    const sep = m.indexOf(' - ');
    if (sep < 0 || !m.slice(sep + 3).startsWith('cgroup2 ')) continue;
    const fields = m.slice(0, sep).split(' ');
    const root = unescapeMount(fields[3] ?? '');
    const mountPoint = unescapeMount(fields[4] ?? '');
    if (!mountPoint) continue;
    const rel = root === '/' ? path : path === root || path.startsWith(`${root}/`) ? path.slice(root.length) : undefined;
    if (rel !== undefined) return join(mountPoint, rel).replace(/(.)\/$/, '$1');
  }
  return undefined;
}

/** This process's cgroup v2 directory, if the machine has one we can see. */
export function ownCgroupDir(): string | undefined {
  try {
    return locateOwnCgroup(readFileSync('/proc/self/cgroup', 'utf8'), readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether we may create child cgroups under `dir` and move our children into them. */
export function canDelegate(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function createCgroup(dir: string): void {
  mkdirSync(dir);
}

/** True while any live process is in `dir` or below it (zombies do not count). A missing cgroup is empty. */
export function isPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

function childDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** Every process in `dir` and the cgroups below it. */
export function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.push(Number(l));
    } catch {
      return; // removed meanwhile
    }
    for (const c of childDirs(d)) walk(c);
  };
  walk(dir);
  return out;
}

export function signalCgroup(dir: string, signal: NodeJS.Signals): void {
  for (const pid of cgroupPids(dir)) signalQuietly(pid, signal);
}

/**
 * SIGKILL everything in `dir` and below, atomically with respect to forks (the kernel's
 * cgroup.kill). Kernels before 5.14 lack it: then every member is killed by pid, which a caller
 * repeats until the cgroup is empty.
 */
export function killCgroup(dir: string): void {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && statSync(dir, { throwIfNoEntry: false }) === undefined) return;
    signalCgroup(dir, 'SIGKILL');
  }
}

/** Remove `dir` and the cgroups below it, deepest first. False if some are still populated (or busy). */
export function removeCgroup(dir: string): boolean {
  let ok = true;
  for (const c of childDirs(dir)) ok = removeCgroup(c) && ok;
  try {
    rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
  }
  return ok;
}

/** Child cgroups of `dir` whose names start with `prefix` (their names only). */
export function childCgroups(dir: string, prefix: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** The shell prologue that moves the process into a cgroup before the command runs (see containment.ts). */
export const ENTER_CGROUP_SCRIPT =
  'echo 0 >"$0" || { echo "shipgate: cannot enter the cgroup $0; refusing to run uncontained [RUN_CONTAIN_FAILED]" >&2; exit 125; }; exec /bin/sh -c "$1"';
