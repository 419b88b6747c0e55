/**
 * Helpers for the containment end-to-end tests: find processes by a test's own unique mark (in
 * their command line or environment, so a daemon that scrubbed its environment is still found by
 * its arguments), or by the run marker shipgate gives them, and wait for them to go — with a bound,
 * never a measurement.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';

export const MARKER_ENV = 'SHIPGATE_CONTAINMENT_ID';

/** A mark no other test (or run) shares. */
export const newMark = (): string => `m${randomBytes(6).toString('hex')}`;

function read(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function live(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`)?.toString('utf8');
  if (!stat) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** Live processes whose command line or environment contains `mark`. */
export function processesWith(mark: string): number[] {
  const needle = Buffer.from(mark);
  return pids().filter((p) => {
    const hit = read(`/proc/${p}/cmdline`)?.includes(needle) || read(`/proc/${p}/environ`)?.includes(needle);
    return hit && live(p);
  });
}

/** The cell ids in a process's SHIPGATE_CONTAINMENT_ID (outermost first). */
export function markerIds(pid: number): string[] {
  const env = read(`/proc/${pid}/environ`)?.toString('utf8') ?? '';
  const entry = env.split('\0').find((e) => e.startsWith(`${MARKER_ENV}=`));
  return entry ? entry.slice(MARKER_ENV.length + 1).split(' ').filter(Boolean) : [];
}

/** The run token of the shipgate that started `pid` (its innermost cell id, without the cell number). */
export function runTokenOf(pid: number): string | undefined {
  const id = markerIds(pid).at(-1);
  return id?.slice(0, id.lastIndexOf('/'));
}

/** Live processes carrying any cell id of run `token`. */
export function processesOfRun(token: string): number[] {
  return pids().filter((p) => markerIds(p).some((id) => id.startsWith(`${token}/`)) && live(p));
}

/** The cgroup v2 path of a process ("/shipgate.<token>/c3"), if it is in one. */
export function cgroupOf(pid: number): string | undefined {
  const line = read(`/proc/${pid}/cgroup`)?.toString('utf8').split('\n').find((l) => l.startsWith('0::'));
  return line?.slice(3);
}

/**
 * Children of `pid` that are shipgate's watchdog: by process title, or the spawner that becomes it
 * when shipgate ends (spawner.c `--then`).
 */
export function watchdogsOf(pid: number): number[] {
  return pids().filter((p) => {
    const stat = read(`/proc/${p}/stat`)?.toString('utf8') ?? '';
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const argv = (read(`/proc/${p}/cmdline`)?.toString('utf8') ?? '').split('\0');
    return ppid === pid && (argv[0]!.startsWith('shipgate-watchdog') || (argv[0]!.endsWith('/shipgate-spawner') && argv[1] === '--then'));
  });
}

export { live as isRunning };

/** Poll `probe` until it returns true; false if `timeoutMs` passes first (a bound, not a measurement). */
export async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL whatever a failed test left carrying its mark. */
export function killMarked(mark: string): void {
  for (const p of processesWith(mark)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** What answers on 127.0.0.1:port (the body), or the error code when nothing does. */
export function ask(port: number): Promise<string> {
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
