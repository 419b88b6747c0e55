/**
 * One whole process, measured: wall time, and CPU time (user + system of the process and every child
 * it waited for, read with the shell's `times`). Its stdout goes to `stdoutFile` (default nowhere).
 */
import { spawnSync } from 'node:child_process';

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

/** Run argv in `cwd` under /bin/sh; a non-zero exit throws unless `allowFail`. */
export function measure(cwd: string, argv: string[], opts: { env?: Record<string, string>; stdoutFile?: string; allowFail?: boolean } = {}): Sample {
  const t0 = performance.now();
  const r = spawnSync('/bin/sh', ['-c', '"$@" >"$SG_BENCH_OUT" 2>/dev/null; s=$?; times; exit $s', 'sh', ...argv], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env, SG_BENCH_OUT: opts.stdoutFile ?? '/dev/null' },
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
  // Line 1: the shell itself; line 2: its children (the measured command and everything it reaped).
  const [self = '', children = ''] = r.stdout.trim().split('\n');
  return { wallMs, cpuMs: (parseTimes(self) + parseTimes(children)) * 1000 };
}
