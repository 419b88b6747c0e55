/**
 * One whole process, measured: wall time, and CPU time. Where this machine lets us make a cgroup
 * v2, the CPU time is everything the process caused — it and every descendant, also those it did
 * not wait for (shipgate's spawner, the gates it reaps, the watchdog that runs after shipgate has
 * exited) — read from the cgroup's cpu.stat once nothing is left in it. Elsewhere it is user +
 * system of the process and every child it waited for (the shell's `times`), which misses those.
 * Its stdout goes to `stdoutFile` (default nowhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { canDelegate, ownCgroupDir, removeCgroup } from '../src/run/cgroup.js';

export interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Seconds in one line of `times` output ("0m1.230000s 0m0.040000s": user, system). */
export function parseTimes(line: string): number {
  let sec = 0;
  for (const t of line.trim().split(/\s+/)) {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    if (m) sec += Number(m[1]) * 60 + Number(m[2]);
  }
  return sec;
}

const own = ownCgroupDir();
const cgroupRoot = own && canDelegate(own) ? own : undefined;
let made = 0;

/** Whether CPU figures include processes the measured one did not wait for. */
export const CPU_BY_CGROUP = cgroupRoot !== undefined;

function settle(dir: string): number {
  // Whatever outlives the measured process (a watchdog sweeping) counts too: wait for it, bounded.
  const deadline = Date.now() + 15_000;
  while (/^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8')) && Date.now() < deadline) {
    spawnSync('sleep', ['0.02']);
  }
  const usec = Number(/^usage_usec (\d+)$/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1] ?? NaN);
  if (!removeCgroup(dir)) rmdirSync(dir);
  return usec / 1000;
}

/** Run argv in `cwd` under /bin/sh; a non-zero exit throws unless `allowFail`. */
export function measure(cwd: string, argv: string[], opts: { env?: Record<string, string>; stdoutFile?: string; allowFail?: boolean } = {}): Sample {
  const cg = cgroupRoot && join(cgroupRoot, `sg-bench-${process.pid}-${++made}`);
  if (cg) mkdirSync(cg);
  const enter = cg ? 'echo $$ >"$SG_BENCH_CG/cgroup.procs" || exit 99; ' : '';
  const t0 = performance.now();
  const r = spawnSync('/bin/sh', ['-c', `${enter}"$@" >"$SG_BENCH_OUT" 2>/dev/null; s=$?; times; exit $s`, 'sh', ...argv], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env, SG_BENCH_OUT: opts.stdoutFile ?? '/dev/null', SG_BENCH_CG: cg ?? '' },
  });
  const wallMs = performance.now() - t0;
  const cgroupCpu = cg ? settle(cg) : undefined;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
  // Line 1: the shell itself; line 2: its children (the measured command and everything it reaped).
  const [self = '', children = ''] = r.stdout.trim().split('\n');
  return { wallMs, cpuMs: cgroupCpu ?? (parseTimes(self) + parseTimes(children)) * 1000 };
}
