/**
 * One gate as a task with setup and teardown: start its services, run its command (with retries),
 * read its reports, check its artifacts and probes, then stop what it started. Returns what was
 * observed; judging happens elsewhere.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GateConfig } from '../config/types.js';
import { exportedEnv, interpolateCommand, interpolateEnv, InterpolationError, type Vars } from '../config/interpolate.js';
import { formatDuration } from '../util/duration-format.js';
import type { Check, GateOutcome, StepRecord } from '../decide/types.js';
import { collectEvidence } from '../evidence/collect.js';
import { emptyEvidence, type Evidence } from '../model/evidence.js';
import type { AnyCheckKind, CheckContext, FaultProxy, GateService } from '../checks/kind.js';
import { PhaseClock } from '../checks/phase-clock.js';
import { KINDS } from '../checks/registry.js';
import { keepEvidence } from './kept-evidence.js';
import { openFaultProxy } from './fault-proxy.js';
import { foreignProbeListener, type PortOwner } from './probe-ports.js';
import { runCommand, tailFile } from './process.js';
import type { ServicePool } from './services.js';
import { sleep } from '../util/sleep.js';
import { judgeManual, type ManualJudgement } from '../policy/manual.js';
import { isSingleCommand } from '../util/shell.js';
import { TestTally } from './test-tally.js';


export interface GateTaskContext {
  vars: Vars;
  runDir: string;
  /** When the run started (epoch ms): reports its gates read must not be older. */
  runStartedMs: number;
  pool: ServicePool;
  /** Environment every process starts from (process.env, minus the history store's credentials). */
  baseEnv: Record<string, string>;
  /** Values masked in gate logs and live output (run.ts also masks them in the outcome). */
  secrets: readonly string[];
  /** The run's labels (`--label`), for check kinds that read them. */
  labels?: readonly string[];
  /** Each gate log is cut at this many bytes (`defaults.log-max`). */
  logMaxBytes?: number;
  /** Judge a manual gate on its recorded approvals (absent without history: the gate stays PENDING). */
  judgeApprovals?(gate: GateConfig): Promise<ManualJudgement>;
  onOutput?(gate: string, chunk: string): void;
  graceMs?: number;
  logTailLines?: number;
  /** A tally for a gate's first attempt (the run's project, requirements, quarantine, history); a bare one by default. */
  newTally?(gate: GateConfig): TestTally;
  /** The tally of the attempt whose evidence the outcome carries: every test of it (for requirements and history). */
  onTests?(gate: string, tally: TestTally): void;
}

const TAIL = 30;

/** The exit check of one step: `command exit code` for a one-step command, `step N exit code` in a list. */
export function exitCheckName(index: number, total: number): string {
  return total === 1 ? 'command exit code' : `step ${index} exit code`;
}

function stepChecks(steps: StepRecord[], total: number, timeoutMs: number): Check[] {
  const checks: Check[] = steps.map((st): Check => {
    if (st.timedOut) {
      return { check: total === 1 ? 'command' : `step ${st.index}`, expected: `finishes within ${formatDuration(timeoutMs)}`, actual: 'timed out; process tree stopped', ok: false };
    }
    return {
      check: exitCheckName(st.index, total),
      expected: '0',
      actual: st.error ? `no exit status: ${st.error}` : st.exitCode === null ? `killed by ${st.signal ?? 'signal'}` : String(st.exitCode),
      ok: st.exitCode === 0,
      ...(total > 1 ? { message: st.command } : {}),
    };
  });
  const failed = steps[steps.length - 1];
  for (let i = steps.length + 1; i <= total; i++) {
    checks.push({ check: `step ${i}`, expected: 'runs', actual: `did not run: step ${failed?.index ?? i - 1} failed`, ok: false });
  }
  return checks;
}

function attemptFailure(steps: StepRecord[], total: number): string {
  const bad = steps.find((st) => st.timedOut || st.exitCode !== 0);
  if (!bad) return 'failing tests';
  const where = total > 1 ? `step ${bad.index}: ` : '';
  return `${where}${bad.timedOut ? 'timed out' : bad.error ? `no exit status: ${bad.error}` : bad.exitCode === null ? `killed by ${bad.signal ?? 'signal'}` : `exit code ${bad.exitCode}`}`;
}

/**
 * Read a gate's reports with its tests streamed into `tally`: the evidence then holds the tally's
 * kept tests and the totals of all of them.
 */
async function collectInto(gate: GateConfig, tally: TestTally, opts: { notBeforeMs?: number; maxAgeMs?: number }): Promise<Evidence> {
  const ev = await collectEvidence(gate.reports, gate.cwd, { ...opts, ...tally.sink() });
  ev.tests = tally.kept;
  ev.testTotals = tally.totals;
  return ev;
}

function hasFailingTests(ev: Evidence | undefined): boolean {
  return !!ev?.tests.some((t) => t.status === 'failed' || t.status === 'error');
}

async function manualOutcome(gate: GateConfig, ctx: GateTaskContext, startedAt: string): Promise<GateOutcome> {
  const judged = ctx.judgeApprovals ? await ctx.judgeApprovals(gate) : judgeManual(gate.manual!, [], { version: ctx.vars.version, commit: ctx.vars.gitSha, now: new Date() });
  return { id: gate.id, startedAt, durationMs: 0, attempts: 0, ...judged };
}

/** A service of the gate as the pool holds it: its current process tree (faults may restart it) and its fault control. */
type Owner = PortOwner & { readonly pid: number; fault: GateService['fault'] };

/** What the gate's check kinds see of the run: its services, their listeners, cancellation, fault proxies. */
function checkContext(
  gate: GateConfig,
  ctx: GateTaskContext,
  owners: Owner[],
  signal: AbortSignal,
  proxies: FaultProxy[],
): CheckContext & { phases: Map<string, { startMs: number; endMs: number }> } {
  return {
    gate: gate.id,
    cwd: gate.cwd,
    runDir: ctx.runDir,
    runStartedMs: ctx.runStartedMs,
    signal,
    services: owners,
    // An external gate checks a system it did not start: who listens there is not its to vouch for.
    foreignListener: gate.external ? async () => undefined : (url, when) => foreignProbeListener(url, owners, when),
    labels: ctx.labels ?? [],
    phases: new Map(),
    chaos: new PhaseClock(),
    openProxy: async (listen, to) => {
      const proxy = await openFaultProxy({ listen, to });
      proxies.push(proxy);
      return proxy;
    },
  };
}

export async function runGate(gate: GateConfig, ranWithout: string[], ctx: GateTaskContext, signal: AbortSignal): Promise<GateOutcome> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const logPath = join(ctx.runDir, `gate-${gate.id}.log`);
  const vars: Vars = { ...ctx.vars, gate: gate.id };
  const checks: Check[] = [];
  let tally: TestTally | undefined;
  const outcome = (status: GateOutcome['status'], extra: Partial<GateOutcome> = {}): GateOutcome => {
    if (extra.evidence && tally) ctx.onTests?.(gate.id, tally);
    return {
      id: gate.id,
      status,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      attempts: extra.attempts ?? 0,
      // Only a log that was written is cited: a gate without a command has none.
      logPath: existsSync(logPath) ? logPath : undefined,
      ranWithout: ranWithout.length ? ranWithout : undefined,
      ...extra,
      checks,
    };
  };
  const firstTally = (): TestTally => ctx.newTally?.(gate) ?? new TestTally({ project: '', gate: gate.id });

  /** Fault proxies the gate's kinds opened: closed at teardown whatever happened. */
  const proxies: FaultProxy[] = [];
  const serviceDeath = new AbortController();
  let deathReason: { id: string; message: string; tail: string[]; logPath: string } | undefined;
  const abortBoth = AbortSignal.any([signal, serviceDeath.signal]);
  try {
    if (gate.manual) return { ...(await manualOutcome(gate, ctx, startedAt)), ranWithout: ranWithout.length ? ranWithout : undefined };

    // Setup: services, in declared order. A service that cannot start fails the gate with its log.
    const owners: Owner[] = [];
    for (const id of gate.services) {
      try {
        const svc = await ctx.pool.acquire(id);
        owners.push({
          id,
          get pid() {
            return svc.process.pid;
          },
          owns: (pid) => svc.process.owns(pid),
          fault: svc.fault,
        });
        void svc.died.then(async (err) => {
          deathReason = { id, message: err.message, tail: await tailFile(svc.logPath, TAIL).catch(() => []), logPath: svc.logPath };
          serviceDeath.abort(err);
        });
      } catch (e) {
        const err = e as Error & { code?: string; logTail?: string[]; logPath?: string };
        if (signal.aborted) return outcome('cancelled', { reason: 'interrupted while starting services' });
        checks.push({ check: `service ${id}`, expected: 'starts and becomes ready', actual: err.code ? `${err.message} [${err.code}]` : err.message, ok: false });
        // The gate's own command never ran: the log to read is the service's.
        return outcome('failed', { reason: `service ${id}: ${err.message}`, logTail: err.logTail, logPath: err.logPath && existsSync(err.logPath) ? err.logPath : undefined });
      }
    }

    // The gate's check kinds, in registry order, with their variables resolved. A kind whose
    // variables do not resolve fails when its turn comes, after the command (as it always did).
    const ctxFor = checkContext(gate, ctx, owners, abortBoth, proxies);
    const kinds: { kind: AnyCheckKind; cfg?: unknown; error?: string }[] = [];
    for (const kind of KINDS) {
      const cfg = (gate.checks as Record<string, unknown>)[kind.key];
      if (cfg === undefined) continue;
      try {
        kinds.push({ kind, cfg: kind.interpolate(cfg, vars) });
      } catch (e) {
        if (!(e instanceof InterpolationError)) throw e;
        kinds.push({ kind, error: e.message });
      }
    }
    // Before the command: nobody but the gate's own services may be listening where kinds send requests.
    for (const { kind, cfg } of kinds) {
      if (!kind.preflight || cfg === undefined) continue;
      const bad = (await kind.preflight(cfg, ctxFor)).find((c) => !c.ok);
      if (bad) {
        checks.push(bad);
        return outcome('failed', { reason: `${bad.check}: ${bad.actual}` });
      }
    }

    let attempts = 0;
    let evidence: Evidence | undefined;
    let steps: StepRecord[] = [];
    const failedAttempts: { attempt: number; reason: string }[] = [];
    let env: Record<string, string> = { ...ctx.baseEnv, ...exportedEnv(vars) };

    if (gate.run !== undefined) {
      let commands: string[];
      try {
        env = { ...env, ...interpolateEnv(gate.env, vars) };
        commands = gate.run.map((step) => interpolateCommand(step, vars));
      } catch (e) {
        if (!(e instanceof InterpolationError)) throw e;
        checks.push({ check: 'command', expected: 'variables resolve', actual: e.message, ok: false });
        return outcome('failed', { reason: e.message });
      }
      const deadline = Date.now() + gate.timeoutMs;
      let timedOut = false;
      for (;;) {
        attempts++;
        const attemptStart = Date.now();
        steps = [];
        for (const [i, command] of commands.entries()) {
          const started = Date.now();
          const res = await runCommand({
            command,
            cwd: gate.cwd,
            env,
            logFile: logPath,
            logMaxBytes: ctx.logMaxBytes,
            secrets: ctx.secrets,
            // The gate's timeout covers all of its steps.
            timeoutMs: Math.max(1, deadline - started),
            signal: abortBoth,
            graceMs: ctx.graceMs,
            onOutput: ctx.onOutput && ((chunk) => ctx.onOutput!(gate.id, chunk)),
          });
          if (signal.aborted || (res.cancelled && !deathReason)) {
            return outcome('cancelled', { attempts, reason: 'interrupted', exitCode: res.exitCode, steps: [...steps] });
          }
          if (deathReason) {
            checks.push({ check: `service ${deathReason.id}`, expected: 'stays up while the gate runs', actual: deathReason.message, ok: false });
            return outcome('failed', { attempts, reason: `service ${deathReason.id} died: ${deathReason.message}`, logTail: deathReason.tail, logPath: deathReason.logPath });
          }
          steps.push({
            index: i + 1,
            command: gate.run[i]!,
            exitCode: res.exitCode,
            signal: res.signal,
            timedOut: res.timedOut,
            startedAtMs: started,
            endedAtMs: Date.now(),
            single: isSingleCommand(gate.run[i]!),
            ...(res.error ? { error: res.error } : {}),
          });
          timedOut = res.timedOut;
          // A runner's "tests failed" code may yet be explained by quarantined or tolerated
          // failures, so the next step still runs; any other failure ends the attempt here.
          if (res.timedOut || (res.exitCode !== 0 && !(res.exitCode !== null && gate.testsFailedExitCodes.includes(res.exitCode)))) break;
        }
        if (gate.reports.length) {
          // Tests that failed in an earlier attempt and pass in this one are flaky (the tally marks them).
          tally = tally ? tally.nextAttempt() : firstTally();
          evidence = await collectInto(gate, tally, { notBeforeMs: attemptStart });
        }
        const exitedOk = steps.length === commands.length && steps.every((st) => st.exitCode === 0);
        const ok = exitedOk && !hasFailingTests(evidence);
        if (ok || timedOut || attempts >= gate.retry.attempts) break;
        failedAttempts.push({ attempt: attempts, reason: attemptFailure(steps, commands.length) });
        if (gate.retry.delayMs > 0) await sleep(gate.retry.delayMs, signal);
      }
      checks.push(...stepChecks(steps, commands.length, gate.timeoutMs));
      const last = steps[steps.length - 1];
      if (timedOut) {
        return outcome('timed-out', { attempts, exitCode: last?.exitCode, reason: `timed out after ${formatDuration(gate.timeoutMs)}`, evidence, failedAttempts, steps });
      }
    } else if (gate.reports.length) {
      // A reports-only gate reads what its needs wrote: when one of them ran in this run, a report
      // older than the run is a leftover. Without such a need the file comes from outside (an
      // earlier CI step), and `max-age` says how old it may be.
      const fromNeeds = gate.needs.some((n) => !ranWithout.includes(n));
      tally = firstTally();
      evidence = await collectInto(gate, tally, fromNeeds ? { notBeforeMs: ctx.runStartedMs } : { maxAgeMs: gate.maxAgeMs });
    }

    let artifactFiles: GateOutcome['artifacts'];
    const kept: NonNullable<GateOutcome['kept']> = [];
    type Planned = (typeof kinds)[number];
    /** Run one kind; its checks are returned (kinds running side by side keep their own). */
    const runKind = async ({ kind, cfg, error }: Planned, kctx: CheckContext): Promise<Check[]> => {
      if (error !== undefined) return [{ check: kind.key, expected: 'variables resolve', actual: error, ok: false }];
      try {
        const res = await kind.run(cfg, kctx);
        if (res.artifacts?.length) artifactFiles = [...(artifactFiles ?? []), ...res.artifacts];
        if (res.metrics?.length) {
          evidence ??= emptyEvidence();
          evidence.metrics.push(...res.metrics.map((m) => ({ ...m, source: m.source ?? kind.key })));
        }
        if (res.phase) ctxFor.phases.set(kind.key, res.phase);
        if (res.evidence?.length) kept.push(await keepEvidence(ctx.runDir, gate.id, kind.key, res.evidence, ctx.secrets));
        return res.checks;
      } catch (e) {
        // A kind that throws has not shown anything: its part of the gate fails, saying so.
        return [{ check: kind.key, expected: `${kind.key} run`, actual: (e as Error).message, ok: false }];
      }
    };
    for (const planned of kinds) {
      if (signal.aborted) return outcome('cancelled', { attempts, reason: 'interrupted' });
      if (planned.kind.alongside !== undefined) {
        // Beside a kind the gate lacks there is nothing to run alongside (config rules say so first).
        if (!kinds.some((k) => k.kind.key === planned.kind.alongside)) {
          checks.push({ check: planned.kind.key, expected: `runs alongside ${planned.kind.alongside}`, actual: `the gate has no ${planned.kind.alongside}`, ok: false });
        }
        continue;
      }
      // Companions start just before the kind they accompany and are told to stop when it ends.
      const done = new AbortController();
      const companions = kinds.filter((k) => k.kind.alongside === planned.kind.key).map((c) => runKind(c, { ...ctxFor, until: done.signal }));
      checks.push(...(await runKind(planned, ctxFor)));
      done.abort();
      for (const c of await Promise.all(companions)) checks.push(...c);
    }
    if (deathReason) {
      checks.push({ check: `service ${deathReason.id}`, expected: 'stays up while the gate runs', actual: deathReason.message, ok: false });
      return outcome('failed', { attempts, evidence, steps, reason: `service ${deathReason.id} died: ${deathReason.message}`, logTail: deathReason.tail, logPath: deathReason.logPath });
    }

    const ok = checks.every((c) => c.ok);
    const extras: Partial<GateOutcome> = {
      attempts,
      evidence,
      artifacts: artifactFiles,
      ...(kept.length ? { kept } : {}),
      failedAttempts: failedAttempts.length ? failedAttempts : undefined,
      ...(steps.length ? { steps } : {}),
    };
    // No reason here for plain check failures: the judge words it from all the evidence.
    return outcome(ok ? 'passed' : 'failed', {
      ...extras,
      logTail: ok && !hasFailingTests(evidence) ? undefined : await tailFile(logPath, ctx.logTailLines ?? TAIL).catch(() => []),
    });
  } finally {
    for (const p of proxies) await p.close().catch(() => undefined);
    // Teardown: release this gate's hold on each of its services (acquired or not, so the pool's
    // counts stay right); the pool stops a service after its last user.
    for (const id of [...gate.services].reverse()) await ctx.pool.release(id);
  }
}
