/**
 * The run's view of history: what the judge needs before and during the run (quarantine,
 * baselines, approvals, earlier results of suspicious tests) and what is recorded after it.
 * A thin layer over the Store so that run.ts never builds queries.
 */
import type { Config, GateConfig } from '../config/types.js';
import type { ManualJudgement } from '../policy/manual.js';
import { judgeApprovals } from './approvals.js';
import { StoreError } from '../errors.js';
import { interpolateText, InterpolationError } from '../config/interpolate.js';
import type { Decision, GateOutcome } from '../decide/types.js';
import type { Metric } from '../evidence/model.js';
import type { BaselinePolicy } from '../policy/baseline.js';
import type { BaselineInput, FindingsBaseline } from '../policy/expect-eval.js';
import type { FlakyEvidence } from '../policy/flaky.js';
import type { QuarantineRule } from '../policy/quarantine.js';
import type { RunStart, Store, StoredFinding } from '../store/store.js';
import type { TestLog } from '../store/test-log.js';

/** Runs of a test looked at when deciding whether its failure now is new flakiness. */
const FLAKY_WINDOW = 20;

/** Samples for (gate, path); every lookup answers, with the reason when there can be no baseline. */
export type BaselineLookup = (gate: string, path: string) => BaselineInput;
export type FindingsLookup = (gate: string) => FindingsBaseline;

export interface History {
  store: Store;
  begin(run: RunStart): Promise<void>;
  /**
   * `measured`: every number each gate yielded (see policy/measured.ts), recorded as its metrics;
   * `tests`: each gate's compact test log (its final attempt).
   */
  finish(
    runId: string,
    decision: Decision,
    outcomes: GateOutcome[],
    measured: { gate: string; metrics: Metric[] }[],
    tests: { gate: string; log: TestLog }[],
  ): Promise<void>;
  quarantine(): Promise<QuarantineRule[]>;
  baselines(policy: BaselinePolicy): Promise<BaselineLookup>;
  findingsBaselines(policy: BaselinePolicy, gates: readonly string[]): Promise<FindingsLookup>;
  approvals(gate: GateConfig, version: string, commit: string | null, actor: string | undefined): Promise<ManualJudgement>;
  /** What the newly-flaky check needs of these tests' recent history, for a run on `commit` with `tree`. */
  flakyEvidence(testIds: string[], commit: string | null, tree: string | null): Promise<FlakyEvidence[]>;
  /** Keys of tests that failed on this commit and tree in an earlier run (within the window flakyEvidence reads). */
  badKeysOnCommit(commit: string, tree: string | null): Promise<number[]>;
  close(): Promise<void>;
}

export const HISTORY_OFF = 'history is off (--no-history): there is no baseline to compare with';

/** Baselines when no store is open: every check says why it has none (and blocks under `baseline.require`). */
export function noHistoryBaselines(policy: BaselinePolicy): { baselines: BaselineLookup; findings: FindingsLookup } {
  return {
    baselines: () => ({ samples: [], cfg: policy, missing: HISTORY_OFF }),
    findings: () => ({ missing: HISTORY_OFF }),
  };
}

/** Where history lives: SHIPGATE_DATABASE_URL, else `store.url` (with `${env.NAME}` resolved), else `.shipgate/shipgate.db` beside the config. */
export async function openConfiguredStore(config: Config, opts: { url?: string; env?: NodeJS.ProcessEnv; ci?: boolean } = {}): Promise<Store> {
  const env = opts.env ?? process.env;
  let configured: string | undefined;
  try {
    configured = config.store.url ? interpolateText(config.store.url, { version: '', gitSha: '', gitBranch: '', runDir: '', env }) : undefined;
  } catch (e) {
    if (!(e instanceof InterpolationError)) throw e;
    // In CI a missing secret must not quietly split history into a throwaway local file; on a
    // developer's machine (DB_URL unset) the local SQLite file is what is wanted.
    if (opts.ci) {
      throw new StoreError('STORE_URL', `store.url uses a variable that is not set: ${e.message}`, {
        hint: 'set it in the CI environment (history would otherwise go to a local file no other run sees)',
      });
    }
  }
  // Loaded here, not at start: a run without history never loads the database drivers.
  const { openStore, storeLocation } = await import('../store/store.js');
  const location = storeLocation(config.rootDir, configured, opts.url === undefined ? env : { ...env, SHIPGATE_DATABASE_URL: opts.url });
  return openStore(location);
}

/** What the store keeps of a gate's findings: the ones that count, by fingerprint. */
export function findingsOf(outcome: GateOutcome): StoredFinding[] {
  const ev = outcome.evidence;
  if (!ev || !ev.reports.some((r) => r.format === 'sarif')) return [];
  return ev.findings
    .filter((f) => !f.suppressed && f.baselineState !== 'absent')
    .map((f) => ({ fingerprint: f.fingerprint, level: f.level, ruleId: f.ruleId, ...(f.file !== undefined ? { file: f.file } : {}), ...(f.line !== undefined ? { line: f.line } : {}) }));
}

export async function openHistory(config: Config, opts: { url?: string; env?: NodeJS.ProcessEnv; ci?: boolean } = {}): Promise<History> {
  const store = await openConfiguredStore(config, opts);
  const project = config.name;
  const neverOn = (branch: string) => `no run has ever been recorded on branch ${branch}, so there is no baseline`;
  return {
    store,
    begin: (run) => store.beginRun(run),
    finish: (runId, decision, outcomes, measured, tests) =>
      store.finishRun(runId, {
        decision,
        endedAt: new Date().toISOString(),
        tests: tests.filter((t) => t.log.count > 0),
        metrics: measured.filter((m) => m.metrics.length),
        findings: outcomes.map((o) => ({ gate: o.id, findings: findingsOf(o) })).filter((f) => f.findings.length),
      }),
    async quarantine() {
      const entries = await store.listQuarantine(project);
      return entries.map((q) => ({ tests: q.tests, reason: q.reason, until: q.until, origin: 'store' as const, id: q.id }));
    },
    async baselines(policy) {
      const [samples, onBranch] = await Promise.all([
        store.metricSamples(project, { branch: policy.branch, runs: policy.runs }),
        store.runCount(project, { branch: policy.branch }),
      ]);
      return (gate, path) => {
        // A sample measured in another gate is no baseline for this one; an imported sample that
        // names no gate stands for any.
        const own = (samples.get(path) ?? []).filter((s) => s.gate === undefined || s.gate === gate);
        return { samples: own, cfg: policy, ...(onBranch === 0 ? { missing: neverOn(policy.branch) } : {}) };
      };
    },
    async findingsBaselines(policy, gates) {
      const onBranch = await store.runCount(project, { branch: policy.branch });
      const found = new Map<string, FindingsBaseline>();
      for (const gate of gates) {
        const b = onBranch === 0 ? undefined : await store.baselineFindings(project, { gate, branch: policy.branch });
        found.set(
          gate,
          b ?? { missing: onBranch === 0 ? neverOn(policy.branch) : `no baseline yet: no READY, full, clean run of gate ${gate} on ${policy.branch} has recorded its findings` },
        );
      }
      return (gate) => found.get(gate) ?? { missing: `no baseline for gate ${gate}` };
    },
    approvals: (gate, version, commit, actor) => judgeApprovals(store, project, gate, { version, commit, actor }),
    flakyEvidence: (testIds, commit, tree) => store.flakyEvidence(project, { testIds, window: FLAKY_WINDOW, commit, tree }),
    badKeysOnCommit: (commit, tree) => store.badKeysOnCommit(project, { commit, tree, window: FLAKY_WINDOW }),
    close: () => store.close(),
  };
}
