import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Decision } from '../model/types.js';
import type { BaselineSample, FlakyEvidence, TestHistoryRow } from '../model/history.js';
import type { Database } from './db.js';
import type { StoreKind } from './migrations/index.js';
import * as actions from './queries/actions.js';
import * as approvals from './queries/approvals.js';
import * as dashboard from './queries/dashboard.js';
import * as findings from './queries/findings.js';
import * as metrics from './queries/metrics.js';
import * as quarantine from './queries/quarantine.js';
import * as runs from './queries/runs.js';
import * as tests from './queries/tests.js';
import * as transfer from './queries/transfer.js';
import type { HistoryImportResult, HistoryRecord } from './history-file.js';
import { errorText, guard } from './queries/util.js';
import { StoreError, UsageError } from '../errors.js';
import type {
  ActionKind,
  ActionRecord,
  ActionResult,
  ActionStep,
  Approval,
  BaselineExport,
  DashboardRunFilter,
  GateRetryRate,
  PruneResult,
  RunFinish,
  RunStart,
  RunSummary,
  SlowTest,
  Store,
  StoredQuarantine,
  StoredRun,
  TestFailureCount,
  TestRunEntry,
  TrendRun,
} from './store.js';

/** The one implementation of the store, over a Kysely instance for either backend. */
export class KyselyStore implements Store {
  readonly kind: StoreKind;
  private readonly db: Kysely<Database>;
  private readonly live: runs.Liveness;
  private closed = false;

  constructor(kind: StoreKind, db: Kysely<Database>, live: Partial<runs.Liveness> = {}) {
    this.kind = kind;
    this.db = db;
    this.live = { host: live.host ?? hostname(), now: live.now ?? Date.now, pidAlive: live.pidAlive ?? runs.pidAlive };
  }

  beginRun(run: RunStart): Promise<void> {
    return guard('STORE_WRITE', `recording the start of run ${run.id}`, () => runs.beginRun(this.db, run, process.pid));
  }

  finishRun(runId: string, finish: RunFinish): Promise<void> {
    return guard('STORE_WRITE', `recording run ${runId}`, () => runs.finishRun(this.db, runId, finish));
  }

  listRuns(project: string, opts: { limit?: number; branch?: string } = {}): Promise<RunSummary[]> {
    return guard('STORE_READ', 'listing runs', () => runs.listRuns(this.db, project, opts, this.live));
  }

  getRun(project: string, idOrPrefix: string): Promise<(RunSummary & { decision: Decision | null }) | undefined> {
    return guard('STORE_READ', `reading run ${idOrPrefix}`, () => runs.getRun(this.db, project, idOrPrefix, this.live));
  }

  lastGood(
    project: string,
    opts: { branch?: string; beforeRunId?: string; excludeCommit?: string; version?: string; excludeVersion?: string } = {},
  ): Promise<RunSummary | undefined> {
    return guard('STORE_READ', 'finding the last good run', () => runs.lastGood(this.db, project, opts));
  }

  runCount(project: string, opts: { branch: string }): Promise<number> {
    return guard('STORE_READ', 'counting runs', () => runs.runCount(this.db, project, opts.branch));
  }

  baselineFindings(project: string, opts: { gate: string; branch: string }): Promise<{ runId: string; fingerprints: Set<string> } | undefined> {
    return guard('STORE_READ', 'reading the baseline findings', () => findings.baselineFindings(this.db, project, opts.gate, opts.branch));
  }

  addAction(a: ActionRecord): Promise<void> {
    return guard('STORE_WRITE', `recording the ${a.kind}`, () => actions.addAction(this.db, a));
  }

  finishAction(id: string, end: { endedAt: string; durationMs: number; result: ActionResult; steps: ActionStep[] }): Promise<void> {
    return guard('STORE_WRITE', 'recording the end of a rollback or publish', () => actions.finishAction(this.db, id, end));
  }

  listActions(project: string, opts: { limit?: number; kind?: ActionKind } = {}): Promise<ActionRecord[]> {
    return guard('STORE_READ', 'listing rollbacks and publishes', () => actions.listActions(this.db, project, opts));
  }

  getAction(project: string, id: string): Promise<ActionRecord | undefined> {
    return guard('STORE_READ', `reading ${id}`, () => actions.getAction(this.db, project, id));
  }

  testHistory(project: string, opts: { testIds?: string[]; window: number }): Promise<TestHistoryRow[]> {
    return guard('STORE_READ', 'reading test history', () => tests.testHistory(this.db, project, opts.testIds, opts.window));
  }

  flakyCandidates(project: string, window: number): Promise<TestHistoryRow[]> {
    return guard('STORE_READ', 'reading flaky tests', () => tests.flakyCandidates(this.db, project, window));
  }

  flakyEvidence(project: string, opts: { testIds: string[]; window: number; commit: string | null; tree: string | null }): Promise<FlakyEvidence[]> {
    return guard('STORE_READ', 'reading test history', () => tests.flakyEvidence(this.db, project, opts.testIds, opts.window, opts.commit, opts.tree));
  }

  badKeysOnCommit(project: string, opts: { commit: string; tree: string | null; window?: number }): Promise<number[]> {
    return guard('STORE_READ', 'reading earlier failures on this commit', () => tests.badKeysOnCommit(this.db, project, opts.commit, opts.tree, opts.window));
  }

  runMetrics(project: string, runId: string): Promise<{ gate: string; name: string; value: number; unit: string | null }[]> {
    return guard('STORE_READ', 'reading the metrics of a run', () => metrics.runMetrics(this.db, project, runId));
  }

  metricSamples(project: string, opts: { names?: string[]; branch: string; runs: number }): Promise<Map<string, BaselineSample[]>> {
    return guard('STORE_READ', 'reading metric baselines', () => metrics.metricSamples(this.db, project, opts));
  }

  importBaseline(project: string, data: BaselineExport): Promise<number> {
    return guard('STORE_WRITE', 'importing the baseline', () => metrics.importBaseline(this.db, project, data));
  }

  exportBaseline(project: string, branch: string, runCount: number): Promise<BaselineExport> {
    return guard('STORE_READ', 'exporting the baseline', () => metrics.exportBaseline(this.db, project, branch, runCount));
  }

  addApproval(a: Approval): Promise<void> {
    return guard('STORE_WRITE', 'recording the approval', () => approvals.addApproval(this.db, a));
  }

  listApprovals(project: string, opts: { gate?: string; version?: string } = {}): Promise<Approval[]> {
    return guard('STORE_READ', 'listing approvals', () => approvals.listApprovals(this.db, project, opts));
  }

  findApprovals(project: string, gate: string, version: string, commit: string | null): Promise<Approval[]> {
    return guard('STORE_READ', 'looking up approvals', () => approvals.findApprovals(this.db, project, gate, version, commit));
  }

  addQuarantine(q: { project: string; tests: string[]; reason: string; until?: string; by?: string }): Promise<string> {
    return guard('STORE_WRITE', 'adding the quarantine entry', () => quarantine.addQuarantine(this.db, q));
  }

  removeQuarantine(project: string, idOrPattern: string): Promise<number> {
    return guard('STORE_WRITE', 'removing the quarantine entry', () => quarantine.removeQuarantine(this.db, project, idOrPattern));
  }

  listQuarantine(project: string): Promise<StoredQuarantine[]> {
    return guard('STORE_READ', 'listing quarantined tests', () => quarantine.listQuarantine(this.db, project));
  }

  gateRetryRates(project: string, window: number): Promise<GateRetryRate[]> {
    return guard('STORE_READ', 'reading retry rates', () => runs.gateRetryRates(this.db, project, window));
  }

  async *exportHistory(project: string): AsyncIterable<HistoryRecord> {
    try {
      yield* transfer.exportHistory(this.db, project);
    } catch (err) {
      if (err instanceof StoreError || err instanceof UsageError) throw err;
      throw new StoreError('STORE_READ', `exporting the history failed: ${errorText(err)}`, { hint: 'check that the store is reachable and not damaged', cause: err });
    }
  }

  importHistory(project: string, records: AsyncIterable<{ line: number; record: HistoryRecord }>): Promise<HistoryImportResult> {
    return guard('STORE_WRITE', 'importing the history', () => transfer.importHistory(this.db, project, records));
  }

  projects(): Promise<string[]> {
    return guard('STORE_READ', 'listing projects', () => dashboard.projects(this.db));
  }

  branches(project: string): Promise<string[]> {
    return guard('STORE_READ', 'listing branches', () => dashboard.branches(this.db, project));
  }

  searchRuns(filter: DashboardRunFilter): Promise<RunSummary[]> {
    return guard('STORE_READ', 'listing runs', () => dashboard.searchRuns(this.db, filter, this.live));
  }

  readRun(project: string, id: string): Promise<StoredRun | undefined> {
    return guard('STORE_READ', `reading run ${id}`, () => dashboard.readRun(this.db, project, id, this.live));
  }

  trendRuns(project: string, opts: { branch?: string; limit: number }): Promise<TrendRun[]> {
    return guard('STORE_READ', 'reading trends', () => dashboard.trendRuns(this.db, project, opts, this.live));
  }

  mostFailing(project: string, opts: { window: number; limit: number }): Promise<TestFailureCount[]> {
    return guard('STORE_READ', 'reading the most failing tests', () => dashboard.mostFailing(this.db, project, opts));
  }

  slowestTests(project: string, opts: { limit: number }): Promise<{ runId: string | null; tests: SlowTest[] }> {
    return guard('STORE_READ', 'reading the slowest tests', () => dashboard.slowestTests(this.db, project, opts));
  }

  testRuns(project: string, testId: string, window: number): Promise<TestRunEntry[]> {
    return guard('STORE_READ', 'reading the history of a test', () => dashboard.testRuns(this.db, project, testId, window));
  }

  storeSize(): Promise<number> {
    return guard('STORE_READ', 'measuring the store', () => dashboard.storeSize(this.db));
  }

  prune(opts: { project?: string; before: string; keepLastGood: boolean }): Promise<PruneResult> {
    return guard('STORE_WRITE', 'pruning old runs', () => dashboard.prune(this.db, opts));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}
