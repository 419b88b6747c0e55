/**
 * The run's view of history: what the judge needs before and during the run (quarantine,
 * baselines, approvals, earlier results of suspicious tests) and what is recorded after it.
 * A thin layer over the Store so that run.ts never builds queries.
 */
import type { Config } from '../config/types.js';
import { StoreError } from '../errors.js';
import { interpolateText, InterpolationError } from '../config/interpolate.js';
import type { Decision, GateOutcome } from '../decide/types.js';
import type { Metric } from '../evidence/model.js';
import type { BaselineInput } from '../policy/expect-eval.js';
import type { TestHistoryRow } from '../policy/flaky.js';
import type { QuarantineRule } from '../policy/quarantine.js';
import { openStore, storeLocation, type Approval, type RunStart, type Store } from '../store/store.js';

/** Runs of a test looked at when deciding whether its failure now is new flakiness. */
const FLAKY_WINDOW = 20;

export interface History {
  store: Store;
  begin(run: RunStart): Promise<void>;
  finish(runId: string, decision: Decision, outcomes: GateOutcome[]): Promise<void>;
  quarantine(): Promise<QuarantineRule[]>;
  baselines(): Promise<(path: string) => BaselineInput | undefined>;
  approval(gate: string, version: string, commit: string | null): Promise<Approval | undefined>;
  testHistory(testIds: string[]): Promise<TestHistoryRow[]>;
  close(): Promise<void>;
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
  const location = storeLocation(config.rootDir, configured, opts.url === undefined ? env : { ...env, SHIPGATE_DATABASE_URL: opts.url });
  return openStore(location);
}

/** Coverage totals are metrics too, so they can be baselined like any other number. */
export function metricsOf(outcome: GateOutcome): Metric[] {
  const ev = outcome.evidence;
  if (!ev) return [];
  const out = [...ev.metrics];
  const cov = ev.coverage;
  if (cov) {
    for (const key of ['lines', 'branches', 'functions', 'statements'] as const) {
      const pct = cov[key]?.pct;
      if (pct !== undefined && pct !== null) out.push({ name: `coverage.${key}`, value: pct, unit: '%' });
    }
  }
  return out;
}

export async function openHistory(config: Config, opts: { url?: string; env?: NodeJS.ProcessEnv; ci?: boolean } = {}): Promise<History> {
  const store = await openConfiguredStore(config, opts);
  const project = config.name;
  return {
    store,
    begin: (run) => store.beginRun(run),
    finish: (runId, decision, outcomes) =>
      store.finishRun(runId, {
        decision,
        endedAt: new Date().toISOString(),
        tests: outcomes.filter((o) => o.evidence?.tests.length).map((o) => ({ gate: o.id, tests: o.evidence!.tests })),
        metrics: outcomes.map((o) => ({ gate: o.id, metrics: metricsOf(o) })).filter((m) => m.metrics.length),
      }),
    async quarantine() {
      const entries = await store.listQuarantine(project);
      return entries.map((q) => ({ tests: q.tests, reason: q.reason, until: q.until, origin: 'store' as const, id: q.id }));
    },
    async baselines() {
      const samples = await store.metricSamples(project, { branch: config.baseline.branch, runs: config.baseline.runs });
      return (path: string) => ({ samples: samples.get(path) ?? [], cfg: config.baseline });
    },
    approval: (gate, version, commit) => store.findApproval(project, gate, version, commit),
    testHistory: (testIds) => store.testHistory(project, { testIds, window: FLAKY_WINDOW }),
    close: () => store.close(),
  };
}
