/**
 * Sweeps: kill everything that belongs to a run (when the run's shipgate is gone), and everything
 * that belongs to runs whose shipgate died without cleaning up (found by their cgroup directory or
 * by the marker their processes carry). Used by the watchdog, and by shipgate itself on a hard exit.
 */
import { join } from 'node:path';
import { childCgroups, isPopulated, killCgroup, removeCgroup } from './cgroup.js';
import { findMarked, ownerAlive, parseToken, pidNamespace, tokenOfId } from './marker.js';
import { signalQuietly } from './proc-table.js';
import { sleep } from '../util/sleep.js';

/** Run-root cgroups are named `shipgate.<token>` under the owner's own cgroup. */
export const RUN_CGROUP_PREFIX = 'shipgate.';

/** A fork between finding a process and killing it leaves a child to find next round; this bounds the rounds. */
const MAX_ROUNDS = 50;
const ROUND_PAUSE_MS = 20;

/**
 * SIGKILL every process `find` returns, scanning again until a scan shows nothing new: a fork
 * between one scan and its kill leaves a child that the next scan finds. A process already killed
 * may still show for a moment while it exits; it is not counted twice.
 */
function killUntilNoneNew(find: () => number[]): number[] {
  const killed = new Set<number>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fresh = find().filter((pid) => !killed.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signalQuietly(pid, 'SIGKILL');
      killed.add(pid);
    }
  }
  return [...killed];
}

/** SIGKILL every process carrying a cell id of run `token`. Returns how many were found. */
export function killMarkedSync(token: string, exclude: ReadonlySet<number> = new Set([process.pid])): number {
  const prefix = `${token}/`;
  return killUntilNoneNew(() => findMarked((id) => id.startsWith(prefix), { exclude })).length;
}

async function waitEmptied(dir: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isPopulated(dir)) {
    if (Date.now() >= deadline) return false;
    killCgroup(dir);
    await sleep(ROUND_PAUSE_MS);
  }
  return true;
}

/** Everything of run `token`: its cgroup subtree (if any) and every process with its marker; then the cgroup is removed. */
export async function sweepRun(token: string, runRoot: string | undefined, exclude: ReadonlySet<number>): Promise<void> {
  if (runRoot) killCgroup(runRoot);
  // The marker also finds what left the cgroup (only a privileged process can) or was still in the
  // shell prologue, not yet inside it.
  // A second pass after a pause catches anything forked by a process that was just dying.
  for (let round = 0; round < MAX_ROUNDS && killMarkedSync(token, exclude) > 0; round++) await sleep(ROUND_PAUSE_MS);
  if (runRoot && (await waitEmptied(runRoot, 5000))) removeCgroup(runRoot);
}

/**
 * Run-root cgroups under `parent` whose owner no longer runs: their processes are killed now, and
 * with `wait` the directories are removed once empty. Returns the names of those found.
 */
export async function sweepStaleCgroups(parent: string, own: string | undefined, wait: boolean): Promise<string[]> {
  const ns = pidNamespace();
  const stale = childCgroups(parent, RUN_CGROUP_PREFIX).filter((name) => {
    if (name === own) return false;
    const t = parseToken(name.slice(RUN_CGROUP_PREFIX.length));
    return t !== undefined && !ownerAlive(t, ns);
  });
  for (const name of stale) killCgroup(join(parent, name));
  if (wait) {
    for (const name of stale) if (await waitEmptied(join(parent, name), 2000)) removeCgroup(join(parent, name));
  }
  return stale;
}

/**
 * Processes of this uid carrying a cell id of a run whose owner no longer runs (its shipgate and
 * its watchdog were both killed, or the machine's cgroup could not be used): killed. Returns them.
 */
export function sweepStaleMarkers(exclude: ReadonlySet<number>): number[] {
  const ns = pidNamespace();
  const alive = new Map<string, boolean>();
  const dead = (id: string): boolean => {
    const tok = tokenOfId(id);
    let a = alive.get(tok);
    if (a === undefined) {
      const t = parseToken(tok);
      a = t === undefined || ownerAlive(t, ns);
      alive.set(tok, a);
    }
    return !a;
  };
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  return killUntilNoneNew(() => findMarked(dead, { exclude, uid }));
}
