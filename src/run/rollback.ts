/**
 * Roll back to a known-good release: run the configured steps in order (commands and probes, as
 * in gates) with the target exported, and stop at the first step that fails.
 */
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { exportedEnv, interpolateCommand, interpolateProbe, type Vars } from '../config/interpolate.js';
import type { Check } from '../decide/types.js';
import { runProbe } from '../gates/probe.js';
import { runCommand } from './process.js';

export interface RollbackTarget {
  version: string;
  commit: string | null;
  runId?: string;
}

export interface StepResult {
  index: number;
  title: string;
  ok: boolean;
  durationMs: number;
  checks: Check[];
  logPath?: string;
}

export interface RollbackResult {
  target: RollbackTarget;
  steps: StepResult[];
  /** The first failed step, when one failed; later steps did not run. */
  failedAt?: StepResult;
  logDir: string;
}

export async function runRollback(
  config: Config,
  target: RollbackTarget,
  opts: { logDir: string; env: NodeJS.ProcessEnv; signal?: AbortSignal; onStep?(s: StepResult): void },
): Promise<RollbackResult> {
  const vars: Vars = { version: target.version, gitSha: target.commit ?? '', gitBranch: '', runDir: opts.logDir, env: opts.env };
  const rollbackEnv = { SHIPGATE_ROLLBACK_VERSION: target.version, SHIPGATE_ROLLBACK_COMMIT: target.commit ?? '' };
  const baseEnv = Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined));
  const steps: StepResult[] = [];
  for (const [i, step] of config.rollback.entries()) {
    const t0 = performance.now();
    let checks: Check[];
    let logPath: string | undefined;
    if (step.run !== undefined) {
      logPath = join(opts.logDir, `rollback-step-${i + 1}.log`);
      const res = await runCommand({
        command: interpolateCommand(step.run, vars),
        cwd: step.cwd,
        env: { ...baseEnv, ...exportedEnv(vars), ...rollbackEnv, ...step.env },
        logFile: logPath,
        timeoutMs: step.timeoutMs,
        signal: opts.signal,
      });
      checks = [
        res.timedOut
          ? { check: 'command', expected: 'finishes in time', actual: 'timed out', ok: false }
          : { check: 'command exit code', expected: '0', actual: res.exitCode === null ? `killed by ${res.signal}` : String(res.exitCode), ok: res.exitCode === 0 },
      ];
    } else {
      checks = await runProbe(interpolateProbe(step.probe!, vars), { signal: opts.signal });
    }
    const result: StepResult = { index: i + 1, title: step.title, ok: checks.every((c) => c.ok), durationMs: Math.round(performance.now() - t0), checks, logPath };
    steps.push(result);
    opts.onStep?.(result);
    if (!result.ok) return { target, steps, failedAt: result, logDir: opts.logDir };
  }
  return { target, steps, logDir: opts.logDir };
}
