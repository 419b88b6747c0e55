/**
 * The library's main job: config → plan → run → judge → decide, with history on the side.
 * The only stage that starts processes; everything it decides is delegated to pure functions.
 */
import { newRunId } from './run-id.js';
import { availableParallelism, hostname } from 'node:os';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { shellQuote } from '../util/shell.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { exportedEnv, interpolateCommand, interpolateEnv, interpolateText, type Vars } from '../config/interpolate.js';
import type { ServiceConfig } from '../config/types.js';
import { decide } from '../decide/decide.js';
import { ShipgateError } from '../errors.js';
import type { Decision, GateOutcome, GateVerdict } from '../decide/types.js';
import { judgeGate, type JudgeContext } from '../policy/judge.js';
import { RequirementTally } from '../policy/requirements.js';
import { quarantineMatcher, rulesFromConfig, type QuarantineRule } from '../policy/quarantine.js';
import { newlyFlakyFrom } from '../policy/flaky.js';
import { selectGates, type Plan, type PlannedGate } from '../plan/select.js';
import { multiplex } from './multiplexer.js';
import { decisionJson } from '../model/decision-json.js';
import { safeWriteFile as writeFileAtomic } from './safe-write.js';
import { makeDir } from './safe-write.js';
import type { Reporter } from './reporter.js';
import { noHistoryBaselines, openHistory, type BaselineLookup, type FindingsLookup } from './history.js';
import { guardHistory, type GuardedHistory } from './history-guard.js';
import { resolveBaseline, type BaselinePolicy } from '../policy/baseline.js';
import { measuredValues } from '../policy/measured.js';
import { runPublish } from './publish.js';
import { runEnv } from './run-env.js';
import { redactDeep } from './redact.js';
import { actorName } from './actor.js';
import type { Metric } from '../evidence/model.js';
import { runGate, type GateTaskContext } from './gate-task.js';
import { isCi } from './ci.js';
import { defaultBranch, defaultVersion, gitInfo, treeState } from './git.js';
import { schedule, type NotRunCause } from './scheduler.js';
import { ServicePool } from './services.js';
import { TestTally } from './test-tally.js';
import { KeyTable } from '../store/key-table.js';
import type { TestLog } from '../store/test-log.js';

export interface RunOptions {
  cwd?: string;
  configFile?: string;
  config?: Config;
  version?: string;
  ci?: boolean;
  with?: string[];
  skip?: string[];
  only?: string[];
  strict?: boolean;
  concurrency?: number;
  failFast?: boolean;
  reporters?: Reporter[];
  signal?: AbortSignal;
  /** Record and judge with history (default true). */
  history?: boolean;
  storeUrl?: string;
  env?: NodeJS.ProcessEnv;
  graceMs?: number;
  /** Called when a reporter throws; the run goes on. */
  onReporterError?(hook: string, error: unknown): void;
  /** `--require-clean`: uncommitted changes (or a tree that cannot be checked) block the release. */
  requireClean?: boolean;
  /** `--publish`: after a READY, full, clean run is recorded, run the `publish:` steps. */
  publish?: boolean;
  /** Who publishes (recorded with the publish); default from the CI's actor, git, or $USER. */
  actor?: string;
  /** `--secret NAME`: more variables whose values are masked (with the config's `secrets:`). */
  secretNames?: string[];
  /** `--label NAME`: labels of this release, e.g. `fix` (an SLO budget's fix-label lets it through). */
  labels?: string[];
}

export { newRunId } from './run-id.js';

function notRunReason(cause: NotRunCause): string {
  switch (cause.kind) {
    case 'need':
      return cause.needResult === 'failed' ? `need ${cause.need} did not pass` : `need ${cause.need} did not run`;
    case 'fail-fast':
      return `stopped by --fail-fast after ${cause.by} failed`;
    case 'cancelled':
      return 'interrupted';
  }
}

function skippedVerdict(p: PlannedGate): GateVerdict {
  const v = judgeGate(p.gate, { id: p.id, status: 'skipped', reason: p.reason, durationMs: 0, attempts: 0, checks: [] });
  return p.optionalSkip ? { ...v, optional: true } : v;
}

/**
 * A gate task that threw. A ShipgateError is the user's to fix (a missing cwd, an unwritable log)
 * and reads as such; anything else is a bug in shipgate, said plainly. Either way the gate fails.
 */
function crashOutcome(id: string, e: unknown): GateOutcome {
  const known = e instanceof ShipgateError;
  const message = e instanceof Error ? e.message : String(e);
  return {
    id,
    status: 'failed',
    reason: known ? message : `internal error: ${message}`,
    durationMs: 0,
    attempts: 0,
    checks: [{ check: 'gate', expected: 'runs', actual: known ? `${message} [${e.code}]` : `internal error: ${message}`, ok: false }],
  };
}

/**
 * Record the run. History that cannot be written (or broke earlier in the run) is a blocker, not a
 * crash: the decision is still reported in full, and says why it is BLOCKED.
 */
async function record(
  history: GuardedHistory | undefined,
  runId: string,
  decision: Decision,
  outcomes: GateOutcome[],
  measured: { gate: string; metrics: Metric[] }[],
  tests: { gate: string; log: TestLog }[],
): Promise<Decision> {
  if (!history) return decision;
  await history.finish(runId, decision, outcomes, measured, tests);
  return history.failure === undefined ? decision : blocked(decision, `the run could not be recorded in history: ${history.failure}`);
}

/**
 * A tool in a gate's `cwd` names files relative to that folder; everyone who reads the decision
 * (annotations, Code Quality, the dashboard) reads them relative to the project root.
 */
export function inProject(v: GateVerdict, rootDir: string, gateCwd: string): GateVerdict {
  const rel = relative(rootDir, resolve(rootDir, gateCwd)).split(sep).join('/');
  if (rel === '' || rel.startsWith('../') || rel === '..' || isAbsolute(rel)) return v;
  const findings = v.findings?.map((f) => (f.file && !isAbsolute(f.file) && !/^[a-z][a-z0-9+.-]*:/i.test(f.file) ? { ...f, file: posix.normalize(`${rel}/${f.file.replace(/\\/g, '/')}`) } : f));
  return { ...v, cwd: rel, ...(findings ? { findings } : {}) };
}

function blocked(decision: Decision, why: string): Decision {
  return { ...decision, result: 'BLOCKED', blockers: [...decision.blockers, why] };
}

/**
 * decision.json is the run's own copy of its decision; a disk that refuses it must not swallow the
 * decision the reporters are about to print. The failure becomes a reason, and the run is BLOCKED:
 * a run whose record was lost is no proof.
 */
async function writeDecision(runDir: string, decision: Decision): Promise<Decision> {
  try {
    await writeFileAtomic(join(runDir, 'decision.json'), decisionJson(decision));
    return decision;
  } catch (e) {
    const why = e instanceof ShipgateError ? `${e.message} [${e.code}]` : String(e);
    return blocked(decision, `the decision could not be saved in the run folder: ${why}`);
  }
}

/** A run that left gates out on request is partial: recorded, but never last-good nor a baseline. */
function selectionOf(opts: RunOptions): string | null {
  const parts = [...(opts.only?.length ? [`--only ${opts.only.join(',')}`] : []), ...(opts.skip?.length ? [`--skip ${opts.skip.join(',')}`] : [])];
  return parts.length ? parts.join(' ') : null;
}

/** A VERSION goes into logs, summaries, history and commands: one printable line, of sane length. */
export const MAX_VERSION_LENGTH = 256;

export function checkVersion(version: string): string {
  const bad = [...version].find((ch) => {
    const c = ch.codePointAt(0)!;
    return c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029;
  });
  if (bad !== undefined || version.length > MAX_VERSION_LENGTH || version.trim() === '') {
    const why =
      bad !== undefined
        ? `holds control character U+${bad.codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase()}`
        : version.trim() === ''
          ? 'is empty'
          : `is ${version.length} characters long (at most ${MAX_VERSION_LENGTH})`;
    throw new ShipgateError('VERSION_INVALID', `the version ${JSON.stringify(version.slice(0, 80))}${version.length > 80 ? '…' : ''} ${why}`, {
      hint: 'pass a version like 1.4.0 or v2.0.0-rc.1 (one line, printable, at most 256 characters)',
    });
  }
  return version;
}

export function approveCommand(config: Config, gate: string, version: string): string {
  const manual = config.gates[gate]?.manual;
  const parts = ['npx shipgate approve', shellQuote(gate), '--by NAME'];
  if (manual?.evidence === 'required') parts.push('--evidence URL-or-FILE');
  parts.push('--version', shellQuote(version));
  return parts.join(' ');
}

/** Services used in this run, with `${…}` resolved (a missing `${env.X}` is an error before anything starts). */
function interpolateServices(services: Config['services'], plan: Plan, vars: Vars): Record<string, ServiceConfig> {
  const out: Record<string, ServiceConfig> = {};
  for (const [id, s] of Object.entries(services)) {
    if (!(id in plan.serviceUsers)) {
      out[id] = s;
      continue;
    }
    out[id] = {
      ...s,
      run: interpolateCommand(s.run, vars),
      env: interpolateEnv(s.env, vars),
      ready: s.ready && {
        ...s.ready,
        http: s.ready.http === undefined ? undefined : interpolateText(s.ready.http, vars),
        command: s.ready.command === undefined ? undefined : interpolateCommand(s.ready.command, vars),
      },
    };
  }
  return out;
}

export async function run(opts: RunOptions = {}): Promise<Decision> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const config = opts.config ?? (await loadConfig({ cwd, file: opts.configFile }));
  const ci = opts.ci ?? isCi(env);
  const plan: Plan = selectGates(config, { ci, with: opts.with, skip: opts.skip, only: opts.only });

  const [git, tree, branchForBaselines] = await Promise.all([
    gitInfo(config.rootDir, env, { describe: opts.version === undefined }),
    // Taken before any gate runs: what was tested is the tree as it was when the run began.
    treeState(config.rootDir),
    config.baseline.branch === undefined ? defaultBranch(config.rootDir) : Promise.resolve(config.baseline.branch),
  ]);
  const baselinePolicy: BaselinePolicy = resolveBaseline(config.baseline, branchForBaselines);
  const version = checkVersion(opts.version ?? (await defaultVersion(config.rootDir, git)));
  const startedAt = new Date();
  const t0 = performance.now();
  const runId = newRunId(startedAt);
  const runDir = join(config.rootDir, '.shipgate', 'runs', runId);
  const vars: Vars = { version, gitSha: git.sha ?? '', gitBranch: git.branch ?? '', runDir, env };
  // Resolved before anything is created: an unset ${env.X} in a service is a configuration error.
  const services = interpolateServices(config.services, plan, vars);
  await makeDir(runDir, 'the run folder');

  // A store that cannot be opened stops the run before it starts (exit 2: nothing ran, nothing is
  // lost); once it is open, any error is a reason the run is BLOCKED (history-guard.ts).
  const history: GuardedHistory | undefined =
    opts.history === false ? undefined : guardHistory(await openHistory(config, { url: opts.storeUrl ?? env.SHIPGATE_DATABASE_URL, env, ci }));
  const reporters = multiplex(opts.reporters ?? [], opts.onReporterError ?? (() => {}));
  const { childEnv: baseEnv, secrets } = runEnv(config, env, opts.secretNames);
  const pool = new ServicePool(services, {
    logDir: runDir,
    env: { ...baseEnv, ...exportedEnv(vars) },
    signal: opts.signal,
    secrets,
    logMaxBytes: config.defaults.logMaxBytes,
  });
  for (const [id, n] of Object.entries(plan.serviceUsers)) pool.expect(id, n);

  try {
    await history?.begin({
      id: runId,
      project: config.name,
      version,
      commit: git.sha,
      branch: git.branch,
      ci,
      host: hostname(),
      configHash: config.hash,
      startedAt: startedAt.toISOString(),
      selection: selectionOf(opts),
      tree,
    });
    const quarantineRules: QuarantineRule[] = [
      ...rulesFromConfig(config.quarantine),
      ...((await history?.quarantine()) ?? []),
    ];
    const isQuarantined = quarantineMatcher(quarantineRules, startedAt);
    const withReports = plan.gates.filter((p) => p.action === 'run' && p.gate.reports.length).map((p) => p.id);
    const offline = noHistoryBaselines(baselinePolicy);
    const baseline: BaselineLookup = history ? await history.baselines(baselinePolicy) : offline.baselines;
    const findingsBaseline: FindingsLookup = history ? await history.findingsBaselines(baselinePolicy, withReports) : offline.findings;
    const measured: { gate: string; metrics: Metric[] }[] = [];
    // Who runs the gates: never their own approver.
    const actor = plan.gates.some((p) => p.action === 'run' && p.gate.manual?.approvers) ? await actorName(env, config.rootDir) : undefined;
    const requirements = Object.values(config.requirements);
    // Passing tests that failed on this very code before are kept for the newly-flaky check; every
    // other passing test is only counted, logged and matched against requirements as it streams by.
    const badBefore = history && git.sha !== null ? KeyTable.of(await history.badKeysOnCommit(git.sha, tree?.fingerprint ?? null)) : undefined;
    /** Per gate, the tally of the attempt its outcome stands on. */
    const tallies = new Map<string, TestTally>();

    await reporters.onRunStart({ project: config.name, version, commit: git.sha, runId, runDir, ci, plan });

    const taskCtx: GateTaskContext = {
      vars,
      runDir,
      runStartedMs: startedAt.getTime(),
      pool,
      baseEnv,
      secrets,
      logMaxBytes: config.defaults.logMaxBytes,
      labels: opts.labels ?? [],
      judgeApprovals: history ? (gate) => history.approvals(gate, version, git.sha, actor) : undefined,
      graceMs: opts.graceMs,
      onOutput: (gate, chunk) => reporters.onGateOutput(gate, chunk),
      newTally: (gate) => new TestTally({ project: config.name, gate: gate.id, requirements, quarantined: isQuarantined, badBefore, secrets }),
      onTests: (gate, tally) => tallies.set(gate, tally),
    };

    const verdicts = new Map<string, GateVerdict>();
    const outcomes = new Map<string, GateOutcome>();
    const running = plan.gates.filter((p) => p.action === 'run');
    const runningIds = new Set(running.map((p) => p.id));

    const judgeWith = async (p: PlannedGate, outcome: GateOutcome): Promise<GateVerdict> => {
      // Flakiness shows both ways: failing now after passing on this commit, or passing now after
      // failing on it. The evidence holds exactly the tests that can show it (failing, flaky, and
      // passing ones that failed on this commit before); only their history is read.
      const suspects = [...new Set((outcome.evidence?.tests ?? []).map((t) => t.id))];
      const evidence = new Map((history && suspects.length ? await history.flakyEvidence(suspects, git.sha, tree?.fingerprint ?? null) : []).map((e) => [e.testId, e]));
      const ctx: JudgeContext = {
        quarantine: isQuarantined,
        baseline,
        findingsBaseline,
        baselinePolicy,
        newlyFlaky: (tests) => newlyFlakyFrom(tests, (id) => evidence.get(id), git.sha),
        approveCommand: (gate) => approveCommand(config, gate, version),
      };
      if (outcome.evidence) {
        measured.push({
          gate: p.id,
          metrics: measuredValues(outcome.evidence, p.gate.expect, {
            quarantined: isQuarantined,
            findingsBaseline: () => findingsBaseline(p.id),
            declaredTestReports: true,
          }),
        });
      }
      return inProject(judgeGate(p.gate, outcome, ctx), config.rootDir, p.gate.cwd);
    };

    await schedule(
      running.map((p) => ({
        id: p.id,
        needs: p.gate.needs.filter((n) => runningIds.has(n)),
        run: async (signal: AbortSignal) => {
          // Masked once, here: everything taken from the gate (checks, reasons, tails, test names and
          // messages, findings) reaches the judge, the terminal, history and notes only masked.
          const outcome = redactDeep(await runGate(p.gate, p.ranWithout, taskCtx, signal), secrets);
          outcomes.set(p.id, outcome);
          const verdict = await judgeWith(p, outcome);
          verdicts.set(p.id, verdict);
          return verdict;
        },
      })),
      {
        concurrency: opts.concurrency ?? availableParallelism(),
        failFast: opts.failFast,
        signal: opts.signal,
        succeeded: (v) => v.status === 'pass',
        stopsRun: (v) => v.severity === 'block' && (v.status === 'fail' || v.status === 'cancelled'),
        crashed: (id, e) => {
          const p = running.find((x) => x.id === id)!;
          const v = judgeGate(p.gate, redactDeep(crashOutcome(id, e), secrets));
          verdicts.set(id, v);
          return v;
        },
        onStart: (id) => reporters.onGateStart(id),
        onEnd: (_id, v) => reporters.onGateEnd(v),
        onNotRun: (id, cause) => {
          const p = running.find((x) => x.id === id)!;
          const v = judgeGate(p.gate, { id, status: 'not-run', reason: notRunReason(cause), durationMs: 0, attempts: 0, checks: [] });
          verdicts.set(id, v);
          // A gate that never runs releases its claim on services, so they stop after the real last user.
          for (const s of p.gate.services) void pool.release(s);
          reporters.onGateEnd(v);
        },
      },
    );

    const gates = plan.gates.map((p) => verdicts.get(p.id) ?? skippedVerdict(p));
    // Requirements were tallied as each gate's tests streamed by; join the gates' tallies.
    const reqTally = new RequirementTally(requirements, isQuarantined);
    for (const o of outcomes.values()) {
      const t = tallies.get(o.id)?.requirements;
      if (t) reqTally.merge(t);
    }
    const requirementVerdicts = reqTally.verdicts();
    const interrupted = !!opts.signal?.aborted;
    const selection = selectionOf(opts);
    const decision = decide({
      project: config.name,
      version,
      commit: git.sha,
      branch: git.branch,
      ci,
      strict: !!opts.strict,
      runId,
      runDir,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      configHash: config.hash,
      configFile: config.file,
      gates,
      requirements: requirementVerdicts,
      interrupted,
      partial: selection !== null,
      ...(selection !== null ? { selection } : {}),
      tree,
      requireClean: opts.requireClean,
      ...(opts.labels?.length ? { labels: opts.labels } : {}),
    });

    const logs = [...outcomes.values()].flatMap((o) => {
      const log = tallies.get(o.id)?.log;
      return log ? [{ gate: o.id, log }] : [];
    });
    tallies.clear();
    // The decision holds text from the config, git and reports beyond the outcomes: masked whole.
    let recorded = await writeDecision(runDir, await record(history, runId, redactDeep(decision, secrets), [...outcomes.values()], measured, logs));
    logs.length = 0;
    if (opts.publish) {
      // Only after the decision is recorded: a publish never precedes the proof it rests on.
      const publish = await runPublish(config, recorded, { history, env: baseEnv, secrets, signal: opts.signal, actor: opts.actor, baselinePolicy });
      recorded = await writeDecision(runDir, { ...recorded, publish });
    }
    await reporters.onDecision(recorded);
    return recorded;
  } finally {
    await pool.stopAll();
    await reporters.close();
    await history?.close();
  }
}
