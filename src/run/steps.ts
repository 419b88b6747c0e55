/**
 * Ordered steps outside the gate graph — `rollback:` and `publish:` — run the same way: commands
 * (in their own process group, logged, timed out) and probes, in order, stopping at the first step
 * that fails.
 */
import { join } from 'node:path';
import type { RollbackStep } from '../config/types.js';
import { exportedEnv, interpolateCommand, interpolateEnv, interpolateProbe, InterpolationError, type Vars } from '../config/interpolate.js';
import type { Check } from '../decide/types.js';
import { runProbe } from '../checks/probe-http.js';
import { runCommand } from './process.js';
import { redactDeep, secretValues } from './redact.js';

export interface StepResult {
  index: number;
  title: string;
  ok: boolean;
  durationMs: number;
  checks: Check[];
  logPath?: string;
}

export interface StepsResult {
  steps: StepResult[];
  /** The first failed step, when one failed; later steps did not run. */
  failedAt?: StepResult;
}

export async function runSteps(
  steps: readonly RollbackStep[],
  opts: {
    kind: 'rollback' | 'publish' | 'rollout';
    vars: Vars;
    /** Variables every step gets on top of the environment (SHIPGATE_ROLLBACK_VERSION, SHIPGATE_NOTES_FILE, …). */
    extraEnv: Record<string, string>;
    logDir: string;
    env: NodeJS.ProcessEnv;
    /** Values masked in step logs and results (default: the secrets of `env`). */
    secrets?: readonly string[];
    signal?: AbortSignal;
    onStep?(s: StepResult): void;
  },
): Promise<StepsResult> {
  const baseEnv = Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined));
  const secrets = opts.secrets ?? secretValues(opts.env);
  const done: StepResult[] = [];
  for (const [i, step] of steps.entries()) {
    const t0 = performance.now();
    let checks: Check[];
    let logPath: string | undefined;
    try {
      if (opts.signal?.aborted) {
        checks = [{ check: 'step', expected: 'runs', actual: 'interrupted before it started', ok: false }];
      } else if (step.run !== undefined) {
        logPath = join(opts.logDir, `${opts.kind}-step-${i + 1}.log`);
        const res = await runCommand({
          command: interpolateCommand(step.run, opts.vars),
          cwd: step.cwd,
          env: { ...baseEnv, ...exportedEnv(opts.vars), ...opts.extraEnv, ...interpolateEnv(step.env ?? {}, opts.vars) },
          logFile: logPath,
          secrets,
          timeoutMs: step.timeoutMs,
          signal: opts.signal,
        });
        checks = [
          res.timedOut
            ? { check: 'command', expected: 'finishes in time', actual: 'timed out', ok: false }
            : res.cancelled
              ? { check: 'command', expected: 'finishes', actual: 'interrupted', ok: false }
              : { check: 'command exit code', expected: '0', actual: res.exitCode === null ? `killed by ${res.signal}` : String(res.exitCode), ok: res.exitCode === 0 },
        ];
      } else {
        checks = await runProbe(interpolateProbe(step.probe!, opts.vars), { signal: opts.signal });
      }
    } catch (e) {
      // An unset ${env.X}, a missing cwd, an unwritable log: the step fails, saying why.
      const known = e instanceof InterpolationError || (e as { code?: string }).code !== undefined;
      checks = [{ check: 'step', expected: 'runs', actual: known ? (e as Error).message : `internal error: ${(e as Error).message}`, ok: false }];
    }
    // A probe URL built from ${env.TOKEN} must not carry the token into the record.
    checks = redactDeep(checks, secrets);
    const result: StepResult = { index: i + 1, title: step.title, ok: checks.every((c) => c.ok), durationMs: Math.round(performance.now() - t0), checks, ...(logPath ? { logPath } : {}) };
    done.push(result);
    opts.onStep?.(result);
    if (!result.ok) return { steps: done, failedAt: result };
  }
  return { steps: done };
}
