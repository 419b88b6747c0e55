/**
 * The data of each view, as the JSON API returns it and the pages render it: store reads at the
 * edge, the figures from the pure functions in compute/. One function per view.
 */
import type { Decision } from '../decide/types.js';
import { flakyStats } from '../policy/flaky.js';
import { quarantineMatcher, type QuarantineRule } from '../policy/quarantine.js';
import { formatDiagnostics, formatSummary } from '../report/summary.js';
import { driftRows, type DriftRow } from '../report/view.js';
import type { ActionRecord, Approval, RunSummary, SlowTest, Store, StoredRun, TestFailureCount, TestRunEntry, TrendRun, GateRetryRate } from '../store/store.js';
import { band, outside, type Band } from './compute/bands.js';
import { deliveryWeeks, incidents, type DeliveryWeek, type Incident } from './compute/delivery.js';
import { rankFlaky, type FlakyRow } from './compute/flaky-rank.js';
import { whyBlocked } from './compute/why.js';
import { ServeError } from './errors.js';
import { listRunLogs, type RunLog } from './logs.js';

export interface ServeContext {
  store: Store;
  /** The configured project: the views' default. */
  project: string;
  /** Where run folders live (`<root>/.shipgate/runs`). */
  runsDir: string;
  /** Quarantine entries of the configuration (the store's are read per request). */
  configQuarantine: QuarantineRule[];
  /** Commit times (ISO) of the shas that are known here (a git checkout); others are left out. */
  commitTimes: (shas: string[]) => Promise<Map<string, string>>;
  now: () => Date;
}

export interface RunsQuery {
  project?: string;
  branch?: string;
  version?: string;
  decision?: string;
  before?: string;
  limit?: number;
}

export interface RunsView {
  project: string;
  projects: string[];
  branches: string[];
  filter: { branch: string | null; version: string | null; decision: string | null; limit: number };
  runs: RunSummary[];
  /** The id to page back from, when the page is full. */
  next: string | null;
  store: { kind: string; bytes: number };
}

export async function runsView(ctx: ServeContext, q: RunsQuery): Promise<RunsView> {
  const project = q.project ?? ctx.project;
  const limit = q.limit ?? 50;
  const runs = await ctx.store.searchRuns({
    project,
    branch: q.branch,
    version: q.version,
    result: q.decision === 'READY' || q.decision === 'BLOCKED' ? q.decision : undefined,
    beforeId: q.before,
    limit,
  });
  const [projects, branches, bytes] = await Promise.all([ctx.store.projects(), ctx.store.branches(project), ctx.store.storeSize()]);
  return {
    project,
    projects: projects.includes(project) ? projects : [project, ...projects],
    branches,
    filter: { branch: q.branch ?? null, version: q.version ?? null, decision: q.decision ?? null, limit },
    runs,
    next: runs.length === limit ? runs[runs.length - 1]!.id : null,
    store: { kind: ctx.store.kind, bytes },
  };
}

export interface RunView {
  project: string;
  run: Omit<StoredRun, 'decision'>;
  decision: Decision | null;
  why: string;
  /** The summary and diagnostics as the terminal printed them (plain text). */
  summary: string | null;
  diagnostics: string | null;
  drift: DriftRow[];
  approvals: Approval[];
  logs: RunLog[];
}

export async function runView(ctx: ServeContext, project: string, id: string): Promise<RunView> {
  const stored = await ctx.store.readRun(project, id);
  if (!stored) throw new ServeError('SERVE_NOT_FOUND', `no run ${id} in project ${project}`);
  const { decision, ...run } = stored;
  const approvals = (await ctx.store.listApprovals(project, { version: run.version })).filter((a) => a.commit === run.commit);
  return {
    project,
    run,
    decision,
    why: whyBlocked(decision, run.state),
    summary: decision ? formatSummary(decision) : null,
    diagnostics: decision ? formatDiagnostics(decision) : null,
    drift: decision ? driftRows(decision) : [],
    approvals,
    logs: await listRunLogs(ctx.runsDir, run.id),
  };
}

export interface TrendsView {
  project: string;
  branch: string | null;
  branches: string[];
  runs: TrendRun[];
  /** Per metric (`gate/name`): its band over the READY, full, clean runs plotted, and the runs outside it. */
  metrics: { key: string; gate: string; name: string; unit: string | null; band: Band | null; points: { runId: string; value: number; outside: boolean }[] }[];
}

export async function trendsView(ctx: ServeContext, q: { project?: string; branch?: string; limit?: number }): Promise<TrendsView> {
  const project = q.project ?? ctx.project;
  const runs = await ctx.store.trendRuns(project, { branch: q.branch, limit: q.limit ?? 100 });
  const byMetric = new Map<string, { gate: string; name: string; unit: string | null; points: { run: TrendRun; value: number }[] }>();
  for (const r of runs) {
    for (const m of r.metrics) {
      const key = `${m.gate}/${m.name}`;
      let e = byMetric.get(key);
      if (!e) byMetric.set(key, (e = { gate: m.gate, name: m.name, unit: m.unit, points: [] }));
      e.points.push({ run: r, value: m.value });
    }
  }
  const metrics = [...byMetric].map(([key, e]) => {
    const b = band(e.points.filter((p) => p.run.result === 'READY' && !p.run.partial && p.run.dirty !== true).map((p) => p.value));
    return { key, gate: e.gate, name: e.name, unit: e.unit, band: b, points: e.points.map((p) => ({ runId: p.run.id, value: p.value, outside: outside(p.value, b) })) };
  });
  return { project, branch: q.branch ?? null, branches: await ctx.store.branches(project), runs, metrics };
}

async function quarantineOf(ctx: ServeContext, project: string) {
  const stored = await ctx.store.listQuarantine(project);
  const rules: QuarantineRule[] = [
    ...ctx.configQuarantine,
    ...stored.map((s) => ({ tests: s.tests, reason: s.reason, until: s.until, origin: 'store' as const, id: s.id })),
  ];
  return quarantineMatcher(rules, ctx.now());
}

export interface FlakyView {
  project: string;
  window: number;
  flaky: FlakyRow[];
  slowest: { runId: string | null; tests: SlowTest[] };
  mostFailing: TestFailureCount[];
}

export async function flakyView(ctx: ServeContext, q: { project?: string; window?: number; limit?: number }): Promise<FlakyView> {
  const project = q.project ?? ctx.project;
  const window = q.window ?? 50;
  const limit = q.limit ?? 20;
  const rows = await ctx.store.flakyCandidates(project, window);
  const ranked = rankFlaky(flakyStats(rows, window), rows, await quarantineOf(ctx, project), { stripLength: 30 }).slice(0, limit);
  const [slowest, mostFailing] = await Promise.all([ctx.store.slowestTests(project, { limit }), ctx.store.mostFailing(project, { window, limit })]);
  return { project, window, flaky: ranked, slowest, mostFailing };
}

export interface TestView {
  project: string;
  testId: string;
  window: number;
  runs: TestRunEntry[];
  quarantine: FlakyRow['quarantine'];
}

export async function testView(ctx: ServeContext, q: { project?: string; id?: string; window?: number }): Promise<TestView> {
  const project = q.project ?? ctx.project;
  if (q.id === undefined) throw new ServeError('SERVE_BAD_QUERY', 'id: the test id is required', 'for example /tests?id=tests/test_api.py::test_login');
  const window = q.window ?? 50;
  const match = (await quarantineOf(ctx, project))(q.id);
  return {
    project,
    testId: q.id,
    window,
    runs: await ctx.store.testRuns(project, q.id, window),
    quarantine: match ? { reason: match.rule.reason, until: match.rule.until ?? null, expired: match.expired, expiresAt: match.expiresAt ?? null } : null,
  };
}

export interface DeliveryView {
  project: string;
  window: number;
  weeks: DeliveryWeek[];
  incidents: Incident[];
  /** Commits whose time was not known here (no git checkout of them): their detect time is left out. */
  unknownCommitTimes: number;
  retryRates: GateRetryRate[];
}

export async function deliveryView(ctx: ServeContext, q: { project?: string; window?: number }): Promise<DeliveryView> {
  const project = q.project ?? ctx.project;
  const window = q.window ?? 200;
  // The window's oldest runs have no earlier run to compare with: a BLOCKED one there opens an
  // incident as a branch's first run does. A wider window moves that edge back.
  const runs = await ctx.store.searchRuns({ project, limit: window });
  const shas = [...new Set(runs.flatMap((r) => (r.commit ? [r.commit] : [])))];
  const times = await ctx.commitTimes(shas);
  const list = incidents(runs, (sha) => times.get(sha));
  return {
    project,
    window,
    weeks: deliveryWeeks(list),
    incidents: list,
    unknownCommitTimes: new Set(list.filter((i) => i.commit !== null && !times.has(i.commit)).map((i) => i.commit)).size,
    retryRates: await ctx.store.gateRetryRates(project, window),
  };
}

export interface ReleasesView {
  project: string;
  lastGood: { branch: string; run: RunSummary | null }[];
  actions: ActionRecord[];
}

export async function releasesView(ctx: ServeContext, q: { project?: string; limit?: number }): Promise<ReleasesView> {
  const project = q.project ?? ctx.project;
  const branches = await ctx.store.branches(project);
  const lastGood = await Promise.all(branches.map(async (branch) => ({ branch, run: (await ctx.store.lastGood(project, { branch })) ?? null })));
  return { project, lastGood, actions: await ctx.store.listActions(project, { limit: q.limit ?? 50 }) };
}
