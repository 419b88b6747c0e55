/**
 * Roll back to a known-good release, in an incident, with nothing left to judgement: the target is
 * the newest READY, full, clean run of a version other than the current release (or a version
 * named with --to that has such a run; anything else only with --force), the `rollback:` steps run
 * in order with the target exported, and the whole rollback — who, from, to, each step, result,
 * duration — is recorded.
 */
import type { Config } from '../config/types.js';
import type { Vars } from '../config/interpolate.js';
import { ShipgateError } from '../errors.js';
import type { ActionRecord, RunSummary, Store } from '../store/store.js';
import { newRunId } from './run-id.js';
import { runSteps, type StepResult, type StepsResult } from './steps.js';

export type { StepResult } from './steps.js';

export interface RollbackTarget {
  version: string;
  commit: string | null;
  runId?: string;
}

export interface RollbackPlan {
  /** The release being rolled back: the newest READY, full, clean run, or the version given with --from. */
  from: { version: string; runId?: string } | null;
  to: RollbackTarget;
  /** The target has no READY, full, clean run and --force was given. */
  forced: boolean;
}

export interface RollbackResult extends StepsResult {
  id: string;
  target: RollbackTarget;
  logDir: string;
  durationMs: number;
}

/** Decide where a rollback goes; refuses (UsageError → exit 1 from the CLI) anything it cannot stand behind. */
export async function planRollback(
  config: Config,
  store: Store,
  opts: { to?: string; from?: string; branch?: string; force?: boolean },
): Promise<RollbackPlan> {
  const project = config.name;
  let from: RollbackPlan['from'];
  if (opts.from !== undefined) {
    const run = await store.lastGood(project, { branch: opts.branch, version: opts.from });
    from = { version: opts.from, ...(run ? { runId: run.id } : {}) };
  } else {
    const current = await store.lastGood(project, { branch: opts.branch });
    from = current ? { version: current.version, runId: current.id } : null;
  }
  if (opts.to === undefined) {
    if (!from) throw new RollbackRefused(`no READY, full, clean run recorded for ${project}: there is no current release to roll back from`, 'name one with --from VERSION, or a target with --to VERSION --force');
    const target = await store.lastGood(project, { branch: opts.branch, excludeVersion: from.version });
    if (!target) {
      throw new RollbackRefused(
        `no READY, full, clean run of a version other than ${from.version} is recorded for ${project}: nothing to roll back to`,
        'name a version with --to VERSION (and --force if it has no READY run)',
      );
    }
    return { from, to: toTarget(target), forced: false };
  }
  if (from && opts.to === from.version && !opts.force) {
    throw new RollbackRefused(`--to ${opts.to} is the current release itself`, 'name an earlier version, or add --force to run the steps anyway');
  }
  const target = await store.lastGood(project, { branch: opts.branch, version: opts.to });
  if (target) return { from, to: toTarget(target), forced: false };
  if (!opts.force) {
    throw new RollbackRefused(
      `version ${opts.to} has no READY, full, clean run recorded for ${project}: shipgate cannot vouch for it`,
      'roll back to a version the gate passed (`shipgate history`), or add --force to go there anyway (recorded as forced)',
    );
  }
  return { from, to: { version: opts.to, commit: null }, forced: true };
}

/** A rollback shipgate will not run: the CLI exits 1 (like a blocked release), with the reason and what to do. */
export class RollbackRefused extends ShipgateError {
  constructor(message: string, hint: string) {
    super('ROLLBACK_REFUSED', message, { hint });
  }
}

function toTarget(r: RunSummary): RollbackTarget {
  return { version: r.version, commit: r.commit, runId: r.id };
}

export async function runRollback(
  config: Config,
  plan: RollbackPlan,
  opts: { logDir: string; env: NodeJS.ProcessEnv; secrets?: readonly string[]; signal?: AbortSignal; onStep?(s: StepResult): void; store?: Store; by: string },
): Promise<RollbackResult> {
  const target = plan.to;
  const id = `rollback-${newRunId()}`;
  const startedAt = new Date();
  const t0 = performance.now();
  const record: ActionRecord = {
    id,
    project: config.name,
    kind: 'rollback',
    by: opts.by,
    fromVersion: plan.from?.version ?? null,
    toVersion: target.version,
    toCommit: target.commit,
    runId: target.runId ?? null,
    forced: plan.forced,
    startedAt: startedAt.toISOString(),
    endedAt: null,
    durationMs: null,
    result: 'running',
    steps: [],
  };
  await opts.store?.addAction(record);
  const vars: Vars = { version: target.version, gitSha: target.commit ?? '', gitBranch: '', runDir: opts.logDir, env: opts.env };
  const result = await runSteps(config.rollback, {
    kind: 'rollback',
    vars,
    extraEnv: { SHIPGATE_ROLLBACK_VERSION: target.version, SHIPGATE_ROLLBACK_COMMIT: target.commit ?? '', SHIPGATE_ROLLBACK_FROM: plan.from?.version ?? '' },
    logDir: opts.logDir,
    env: opts.env,
    secrets: opts.secrets,
    signal: opts.signal,
    onStep: opts.onStep,
  });
  const durationMs = Math.round(performance.now() - t0);
  await opts.store?.finishAction(id, {
    endedAt: new Date().toISOString(),
    durationMs,
    result: opts.signal?.aborted ? 'interrupted' : result.failedAt ? 'failed' : 'done',
    steps: result.steps,
  });
  return { ...result, id, target, logDir: opts.logDir, durationMs };
}
