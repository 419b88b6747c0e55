/**
 * `shipgate rollout`: move a release to all of the traffic in stages (10% → 50% → 100%). Each
 * stage runs the team's traffic-shift command with SHIPGATE_WEIGHT, holds while its analysis gates
 * run every `interval`, and moves on only when every analysis is READY. A stage with
 * `approve: manual` then waits: the rollout stops `paused`, and the next `shipgate rollout` of the
 * same version resumes after it once the stage is approved (`shipgate approve <stage id>`, judged
 * like a manual gate's approvals). Any failed analysis — or a traffic shift that fails — runs the
 * rollback at once; the time from the failed check to the rollback done is measured and recorded.
 *
 * The rollout is recorded as an action (kind `rollout`): one step per stage, the rollback as a last
 * step, the result `done`, `paused`, `rolled-back`, `failed` (the rollback itself failed) or
 * `interrupted`. What comes next is decided by `nextRolloutStep` (pure) from the newest record.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, RollbackStep, RolloutStage } from '../config/types.js';
import type { Vars } from '../config/interpolate.js';
import type { Check, Decision } from '../model/types.js';
import { ShipgateError } from '../errors.js';
import { formatDuration } from '../util/duration-format.js';
import { sleep } from '../util/sleep.js';
import type { ActionRecord, ActionStep, Store } from '../store/store.js';
import { judgeApprovals, type Approvable } from './approvals.js';
import { newRunId } from './run-id.js';
import { runSteps } from './steps.js';

/** A rollout shipgate will not start: the CLI exits 1, with the reason and what to do. */
export class RolloutRefused extends ShipgateError {
  constructor(message: string, hint: string) {
    super('ROLLOUT_REFUSED', message, { hint });
  }
}

export type RolloutStatus = 'done' | 'paused' | 'rolled-back' | 'failed' | 'interrupted' | 'already-done';

export interface RolloutEvent {
  kind: 'stage' | 'shift' | 'analysis' | 'hold' | 'approval' | 'rollback';
  stage?: RolloutStage;
  ok?: boolean;
  text: string;
}

export interface RolloutResult {
  status: RolloutStatus;
  id?: string;
  version: string;
  /** The stage it stopped at (paused, rolled back) or reached last. */
  stage?: RolloutStage;
  reason?: string;
  /** From the failed check to the rollback done. */
  rollbackMs?: number;
  steps: ActionStep[];
  /** Stage ids still waiting for approval. */
  awaiting?: string;
}

export interface RolloutOptions {
  version: string;
  commit: string | null;
  /** Who runs the rollout: recorded, and never their own approver. */
  by: string;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  logDir: string;
  signal?: AbortSignal;
  /** Roll out a version without a READY, full, clean run (recorded as forced). */
  force?: boolean;
  /** Run the analysis gates once; the CLI runs them as a partial `shipgate run`. */
  analyze(gates: string[], stage: RolloutStage): Promise<Decision>;
  onEvent?(e: RolloutEvent): void;
}

/** What a manual stage's approvals are judged against, as a manual gate's would be. */
export function stageApprovable(stage: RolloutStage): Approvable {
  return { id: stage.id, manual: stage.manual };
}

export type NextStep = { kind: 'start' } | { kind: 'resume'; after: number; record: ActionRecord } | { kind: 'already-done'; record: ActionRecord };

/** Where a rollout of `version` goes on from, given the newest rollout recorded for it. Pure. */
export function nextRolloutStep(last: ActionRecord | undefined, stages: readonly RolloutStage[]): NextStep {
  if (!last) return { kind: 'start' };
  if (last.result === 'done') return { kind: 'already-done', record: last };
  if (last.result === 'paused') {
    const at = last.steps.at(-1)?.index;
    // A record whose stages no longer match the configuration (it changed meanwhile) starts over.
    const stage = stages.find((s) => s.index === at);
    if (stage?.manual && at !== undefined) return { kind: 'resume', after: at, record: last };
  }
  // Rolled back, failed, interrupted, or a run that died: from the first stage (each shift sets an absolute weight).
  return { kind: 'start' };
}

const weightText = (w: number) => `${w}%`;

export async function runRollout(config: Config, store: Store, opts: RolloutOptions): Promise<RolloutResult> {
  const rollout = config.rollout;
  if (!rollout) throw new RolloutRefused('no `rollout:` in the configuration', 'add rollout: { run: ./shift.sh, stages: [{ weight: 10% }, { weight: 100% }] }');
  const project = config.name;
  const say = (e: RolloutEvent) => opts.onEvent?.(e);
  const actor = opts.by;
  const approval = (stage: RolloutStage) => judgeApprovals(store, project, stageApprovable(stage), { version: opts.version, commit: opts.commit, actor });

  const last = (await store.listActions(project, { kind: 'rollout', limit: 50 })).find((a) => a.toVersion === opts.version);
  const next = nextRolloutStep(last, rollout.stages);
  if (next.kind === 'already-done') return { status: 'already-done', id: next.record.id, version: opts.version, steps: next.record.steps };
  let from = 0;
  if (next.kind === 'resume') {
    const stage = rollout.stages.find((s) => s.index === next.after)!;
    const judged = await approval(stage);
    if (judged.status !== 'passed') {
      say({ kind: 'approval', stage, ok: false, text: judged.reason ?? 'not approved' });
      return { status: 'paused', id: next.record.id, version: opts.version, stage, reason: judged.reason ?? 'awaiting approval', steps: next.record.steps, awaiting: stage.id };
    }
    say({ kind: 'approval', stage, ok: true, text: `approved (${judged.checks.find((c) => c.ok)?.actual ?? 'approved'})` });
    from = next.after;
  }

  const good = await store.lastGood(project, { version: opts.version });
  if (!good && !opts.force) {
    throw new RolloutRefused(
      `version ${opts.version} has no READY, full, clean run recorded for ${project}: shipgate will not send traffic to it`,
      'run `shipgate run` for this version first, or add --force to roll it out anyway (recorded as forced)',
    );
  }

  const id = `rollout-${newRunId()}`;
  const t0 = performance.now();
  const record: ActionRecord = {
    id,
    project,
    kind: 'rollout',
    by: opts.by,
    fromVersion: null,
    toVersion: opts.version,
    toCommit: opts.commit,
    runId: good?.id ?? null,
    forced: !good,
    startedAt: new Date().toISOString(),
    endedAt: null,
    durationMs: null,
    result: 'running',
    steps: [],
  };
  await store.addAction(record);
  const steps: ActionStep[] = [];
  const finish = async (status: Exclude<RolloutStatus, 'already-done'>, extra: Partial<RolloutResult> = {}): Promise<RolloutResult> => {
    await store.finishAction(id, { endedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - t0), result: status, steps });
    return { status, id, version: opts.version, steps, ...extra };
  };
  const vars: Vars = { version: opts.version, gitSha: opts.commit ?? '', gitBranch: '', runDir: opts.logDir, env: opts.env };
  // Each shift logs into a folder of its own: every one is a first step.
  let shifts = 0;
  const shift = async (stage: RolloutStage | undefined, weight: number, list: readonly RollbackStep[]) => {
    const logDir = join(opts.logDir, `${String(++shifts).padStart(2, '0')}-${weight === 0 ? 'rollback' : (stage?.id ?? 'stage')}`);
    await mkdir(logDir, { recursive: true });
    return runSteps(list, {
      kind: weight === 0 ? 'rollback' : 'rollout',
      vars,
      extraEnv: { SHIPGATE_WEIGHT: String(weight), SHIPGATE_STAGE: String(stage?.index ?? 0), SHIPGATE_STAGE_ID: stage?.id ?? 'rollback', SHIPGATE_VERSION: opts.version },
      logDir,
      env: opts.env,
      secrets: opts.secrets,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  };
  const shiftStep = (stage: RolloutStage): RollbackStep => ({ title: `shift to ${weightText(stage.weight)}`, run: stage.run, cwd: rollout.cwd, env: rollout.env, timeoutMs: rollout.timeoutMs });

  /** Roll back now; `failedAt` is when the failing check was seen (performance.now()). */
  const rollBack = async (stage: RolloutStage, why: string, failedAt: number): Promise<RolloutResult> => {
    say({ kind: 'rollback', stage, text: `rolling back: ${why}` });
    // Default: the rollout's own shift command at 0% (a stage's own command may be what just failed).
    const list = rollout.rollback.length ? rollout.rollback : [{ ...shiftStep(stage), run: rollout.run ?? stage.run, title: 'shift to 0%' }];
    const res = await shift(stage, 0, list);
    const rollbackMs = Math.round(performance.now() - failedAt);
    const ok = !res.failedAt;
    steps.push({
      index: stage.index,
      title: `rollback after ${stage.id}`,
      ok,
      durationMs: rollbackMs,
      checks: [
        { check: 'rollback', expected: 'every rollback step passes', actual: ok ? `done ${formatDuration(rollbackMs)} after the failed check` : `step ${res.failedAt!.index} (${res.failedAt!.title}) failed`, ok },
        ...res.steps.flatMap((s) => s.checks),
      ],
    });
    say({ kind: 'rollback', stage, ok, text: ok ? `rolled back in ${formatDuration(rollbackMs)} after the failed check` : `the rollback failed at step ${res.failedAt!.index}` });
    return finish(ok ? 'rolled-back' : 'failed', { stage, reason: why, rollbackMs });
  };

  for (const stage of rollout.stages.slice(from)) {
    const ts = performance.now();
    const checks: Check[] = [];
    const record = (ok: boolean) => steps.push({ index: stage.index, title: `${stage.id}: ${weightText(stage.weight)}`, ok, durationMs: Math.round(performance.now() - ts), checks });
    say({ kind: 'stage', stage, text: `stage ${stage.index}/${rollout.stages.length} ${stage.id}: ${weightText(stage.weight)}` });
    if (opts.signal?.aborted) {
      record(false);
      return finish('interrupted', { stage });
    }
    const shifted = await shift(stage, stage.weight, [shiftStep(stage)]);
    checks.push(...shifted.steps.flatMap((s) => s.checks));
    if (shifted.failedAt) {
      say({ kind: 'shift', stage, ok: false, text: `the traffic shift failed (${shifted.failedAt.logPath ?? 'no log'})` });
      record(false);
      return opts.signal?.aborted ? finish('interrupted', { stage }) : rollBack(stage, `the traffic shift to ${weightText(stage.weight)} failed`, performance.now());
    }
    say({ kind: 'shift', stage, ok: true, text: `traffic at ${weightText(stage.weight)}` });

    // Hold: the analysis runs at the start, then every interval, and once more when the hold is
    // over — the last one always begins at or after the hold's end, so the traffic is judged as
    // the hold leaves it however long each analysis takes (one that overruns the hold is followed
    // by that closing one, not taken as the last word).
    const holdEnd = performance.now() + stage.holdMs;
    let sample = 0;
    for (;;) {
      const startedAt = performance.now();
      if (stage.analysis.length) {
        sample++;
        const d = await opts.analyze(stage.analysis, stage);
        const ok = d.result === 'READY' && !d.interrupted;
        checks.push({ check: `analysis ${sample} (${stage.analysis.join(', ')})`, expected: 'READY', actual: ok ? `READY (${d.runDir})` : `${d.result}: ${d.blockers.slice(0, 3).join('; ') || 'interrupted'} (${d.runDir})`, ok });
        say({ kind: 'analysis', stage, ok, text: ok ? `analysis ${sample}: READY` : `analysis ${sample}: ${d.result} — ${d.blockers.slice(0, 3).join('; ')}` });
        if (!ok) {
          const failedAt = performance.now();
          record(false);
          if (opts.signal?.aborted) return finish('interrupted', { stage });
          return rollBack(stage, `analysis ${sample} at ${weightText(stage.weight)}: ${d.blockers[0] ?? d.result}`, failedAt);
        }
      }
      if (startedAt >= holdEnd || opts.signal?.aborted) break;
      const left = Math.max(0, holdEnd - performance.now());
      await sleep(stage.analysis.length ? Math.min(stage.intervalMs, left) : left, opts.signal);
    }
    if (opts.signal?.aborted) {
      record(false);
      return finish('interrupted', { stage });
    }
    if (stage.holdMs > 0) checks.push({ check: 'hold', expected: `${formatDuration(stage.holdMs)} at ${weightText(stage.weight)}`, actual: `held, ${sample} analysis run${sample === 1 ? '' : 's'}`, ok: true });

    if (stage.manual) {
      const judged = await approval(stage);
      checks.push(...judged.checks);
      record(true);
      if (judged.status !== 'passed') {
        say({ kind: 'approval', stage, ok: false, text: `waiting for approval: ${judged.reason ?? 'not approved yet'}` });
        return finish('paused', { stage, reason: judged.reason ?? 'awaiting approval', awaiting: stage.id });
      }
      say({ kind: 'approval', stage, ok: true, text: 'approved' });
      continue;
    }
    record(true);
  }
  return finish('done', { stage: rollout.stages.at(-1)! });
}
