/**
 * The history store: one interface, two backends (a SQLite file by default, PostgreSQL by URL)
 * sharing one implementation of the queries (kysely-store.ts) and one set of migrations.
 */
import type { Check, Decision, TestCounts, TreeState } from '../model/types.js';
import type { Metric, TestStatus } from '../model/evidence.js';
import type { BaselineSample, FlakyEvidence, TestHistoryRow } from '../model/history.js';
import { StoreError } from '../errors.js';
import type { BASELINE_FORMAT } from './queries/baseline-format.js';
import { KyselyStore } from './kysely-store.js';
import { migrate } from './migrate.js';
import { parsePostgresUrl, redact } from './url.js';
import { SQLITE_BINDING_HINT } from './hints.js';
import { statSync } from 'node:fs';
import type { TestLog } from './test-log.js';
import type { HistoryImportResult, HistoryRecord } from './history-file.js';
import { join } from 'node:path';
import { sql } from 'kysely';

export type { BaselineSample, FlakyEvidence, TestHistoryRow };
export { BASELINE_FORMAT, parseBaselineExport } from './queries/baseline-format.js';
export { TestLog } from './test-log.js';
export { testKey } from './test-key.js';

export interface RunStart {
  id: string;
  project: string;
  version: string;
  commit: string | null;
  branch: string | null;
  ci: boolean;
  host: string;
  configHash: string;
  startedAt: string;
  /** `--only …`/`--skip …` when gates were left out on request: such a run is never last-good nor a baseline sample. */
  selection?: string | null;
  /** The working tree the run saw (null: not a git repository). A dirty run is never last-good nor a baseline sample. */
  tree?: TreeState | null;
}

/** What the store keeps of a finding: enough to tell a new one from a known one. */
export interface StoredFinding {
  fingerprint: string;
  level: string;
  ruleId: string;
  file?: string;
  line?: number;
}

export interface RunFinish {
  decision: Decision;
  endedAt: string;
  /**
   * Per gate, every test of its final attempt as a compact log (test-log.ts), computed for the
   * run's project: recorded as one blob per gate, plus a row (with its message) and a dictionary
   * entry for each failed, errored or flaky test the log keeps whole.
   */
  tests: { gate: string; log: TestLog }[];
  metrics: { gate: string; metrics: Metric[] }[];
  findings?: { gate: string; findings: StoredFinding[] }[];
}

/** `interrupted`: the recording process died (or was stopped) before the run finished. */
export type RunState = 'running' | 'finished' | 'interrupted';

export interface RunSummary extends Omit<RunStart, 'selection' | 'tree'> {
  endedAt: string | null;
  durationMs: number | null;
  result: 'READY' | 'BLOCKED' | null;
  state: RunState;
  /** Retried attempts over all gates (sum of attempts - 1). */
  retries: number;
  gates: number;
  /** Gates were left out on request (the selection says how). */
  partial: boolean;
  selection: string | null;
  /** Uncommitted changes (null: unknown, not a git repository). */
  dirty: boolean | null;
  dirtyFiles: number | null;
}

export type ActionKind = 'rollback' | 'publish' | 'rollout';
/** A rollout may also stop `paused` (waiting for an approval) or `rolled-back` (an analysis failed). */
export type ActionResult = 'running' | 'done' | 'failed' | 'interrupted' | 'paused' | 'rolled-back';

export interface ActionStep {
  index: number;
  title: string;
  ok: boolean;
  durationMs: number;
  checks: Check[];
  logPath?: string;
}

/** A rollback or a publish, as recorded: who, from which version to which, each step, the result. */
export interface ActionRecord {
  id: string;
  project: string;
  kind: ActionKind;
  by: string;
  fromVersion: string | null;
  toVersion: string;
  toCommit: string | null;
  /** The recorded run acted on: the rollback target's READY run, or the published run. */
  runId: string | null;
  /** A rollback to a version without a READY, full, clean run, done with --force. */
  forced: boolean;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  result: ActionResult;
  steps: ActionStep[];
}

export interface Approval {
  project: string;
  gate: string;
  version: string;
  commit: string | null;
  by: string;
  evidence?: string;
  note?: string;
  at: string;
  /** The manual gate's definition hash when it was approved. */
  definition?: string;
  /** ed25519 signature (base64) by the approver's key over the canonical approval text. */
  signature?: string;
}

export interface BaselineExport {
  format: typeof BASELINE_FORMAT;
  project: string;
  branch: string;
  exportedAt: string;
  metrics: { name: string; unit?: string; samples: BaselineSample[] }[];
}

export interface StoredQuarantine {
  id: string;
  project: string;
  tests: string[];
  reason: string;
  until?: string;
  by?: string;
  addedAt: string;
}

export interface GateRetryRate {
  gate: string;
  /** Runs in the window in which the gate ran (attempts >= 1). */
  runs: number;
  /** Of those, runs in which it needed more than one attempt. */
  retried: number;
  /** retried / runs. */
  rate: number;
}

/** What the dashboard's run list filters on (`limit` runs, newest first). */
export interface DashboardRunFilter {
  project: string;
  branch?: string;
  version?: string;
  result?: 'READY' | 'BLOCKED';
  /** Page back: only runs recorded before this one. */
  beforeId?: string;
  limit: number;
}

export type StoredRun = RunSummary & { decision: Decision | null };

/** A finished run as trends plot it. */
export interface TrendRun extends RunSummary {
  gateDurations: { gate: string; status: string; durationMs: number }[];
  /** Test counts over all gates (null: no gate reported tests). */
  tests: TestCounts | null;
  metrics: { gate: string; name: string; value: number; unit: string | null }[];
}

export interface TestFailureCount {
  /** The test id, or `#<key>` when the store has no name for it. */
  testId: string;
  failures: number;
  /** Runs in the window. */
  runs: number;
  lastFailedRunId: string | null;
  lastFailedAt: string | null;
}

export interface SlowTest {
  /** The test id, or `#<key>` for a test that never failed (the store keeps no name for it). */
  testId: string;
  gate: string;
  durationMs: number;
  status: TestStatus;
}

/** One test in one run. */
export interface TestRunEntry {
  runId: string;
  startedAt: string;
  gate: string;
  status: TestStatus;
  flaky: boolean;
  durationMs: number | null;
  attempts: number;
  /** The stored failure message (failed, errored or flaky tests only). */
  message: string | null;
}

export interface PruneResult {
  /** Runs whose tests or findings were removed now. */
  runs: number;
  /** Every run older than the cutoff and not spared (pruned now or before): their logs on disk can go too. */
  runIds: string[];
  testLogs: number;
  testRows: number;
  findings: number;
  /** Dictionary names no remaining row used. */
  names: number;
  /** Runs older than the cutoff spared by keepLastGood (each branch's last-good). */
  kept: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Insert a run in state 'running' at start (so a killed run is visible), then finish it in one transaction. */
  beginRun(run: RunStart): Promise<void>;
  finishRun(runId: string, finish: RunFinish): Promise<void>;
  /** Newest first (default limit 20). Runs whose recording process is gone are reported as 'interrupted'. */
  listRuns(project: string, opts?: { limit?: number; branch?: string }): Promise<RunSummary[]>;
  /** By full id or a unique prefix; an ambiguous prefix is a UsageError naming the matches. */
  getRun(project: string, idOrPrefix: string): Promise<(RunSummary & { decision: Decision | null }) | undefined>;
  /**
   * The newest finished READY run that checked everything on a clean tree (never a partial run nor
   * one on uncommitted changes). `beforeRunId`: only runs recorded before that one;
   * `excludeCommit`: only runs with a known commit different from it (an earlier commit);
   * `version`: only runs of that version; `excludeVersion`: only runs of another version.
   */
  lastGood(
    project: string,
    opts?: { branch?: string; beforeRunId?: string; excludeCommit?: string; version?: string; excludeVersion?: string },
  ): Promise<RunSummary | undefined>;
  /** How many finished runs (any result) were recorded on a branch: tells "no run ever there" from "not enough READY runs". */
  runCount(project: string, opts: { branch: string }): Promise<number>;
  /** The findings of the newest READY, full, clean run on `branch` in which `gate` ran; undefined when there is none. */
  baselineFindings(project: string, opts: { gate: string; branch: string }): Promise<{ runId: string; fingerprints: Set<string> } | undefined>;
  /** Record the start of a rollback or publish (result 'running'), then its end. */
  addAction(a: ActionRecord): Promise<void>;
  finishAction(id: string, end: { endedAt: string; durationMs: number; result: ActionResult; steps: ActionStep[] }): Promise<void>;
  /** Newest first. */
  listActions(project: string, opts?: { limit?: number; kind?: ActionKind }): Promise<ActionRecord[]>;
  getAction(project: string, id: string): Promise<ActionRecord | undefined>;
  /**
   * One row per test per run (passes and skips included) within the project's last `window`
   * finished runs: of the tests `testIds` names, or, without it, of every test (a test that never
   * failed nor flaked has no name in the store: its id reads `#<key>`). Per test, newest run first.
   */
  testHistory(project: string, opts: { testIds?: string[]; window: number }): Promise<TestHistoryRow[]>;
  /**
   * For the newly-flaky check: per test of `testIds` that has an entry in the project's last
   * `window` finished runs, exactly what flakyEvidenceOf (policy/flaky.ts) makes of its
   * testHistory rows, given `commit` and `tree` (the code this run tests) — from one scan of the
   * window's logs, without a row per test per run. In the order of `testIds`.
   */
  flakyEvidence(project: string, opts: { testIds: string[]; window: number; commit: string | null; tree: string | null }): Promise<FlakyEvidence[]>;
  /** All rows, within the project's last `window` finished runs, of the tests that failed, errored or flaked in them. */
  flakyCandidates(project: string, window: number): Promise<TestHistoryRow[]>;
  /**
   * Keys (see test-key.ts) of the tests that failed or errored in a finished run of the project
   * on `commit` with the same tree fingerprint (null: a clean tree) — what a passing test must be
   * checked against to tell that it passes now where it failed before on the same code. With
   * `window`, only runs among the project's last `window` finished runs (those testHistory reads).
   */
  badKeysOnCommit(project: string, opts: { commit: string; tree: string | null; window?: number }): Promise<number[]>;
  /** The metrics one run recorded (coverage totals included), by gate. */
  runMetrics(project: string, runId: string): Promise<{ gate: string; name: string; value: number; unit: string | null }[]>;
  /**
   * Per metric name, newest first: samples of the last `runs` finished READY, full, clean runs on
   * `branch` (per gate: each sample names its gate), merged with imported baselines.
   */
  metricSamples(
    project: string,
    opts: { names?: string[]; branch: string; runs: number },
  ): Promise<Map<string, BaselineSample[]>>;
  /** Validates `data` (it usually comes from a file) and returns the number of samples added (known ones are skipped). */
  importBaseline(project: string, data: BaselineExport): Promise<number>;
  exportBaseline(project: string, branch: string, runs: number): Promise<BaselineExport>;
  addApproval(a: Approval): Promise<void>;
  /** Newest first. */
  listApprovals(project: string, opts?: { gate?: string; version?: string }): Promise<Approval[]>;
  /** Every approval bound to exactly this version and commit (a null commit matches only null), newest first. */
  findApprovals(project: string, gate: string, version: string, commit: string | null): Promise<Approval[]>;
  addQuarantine(q: { project: string; tests: string[]; reason: string; until?: string; by?: string }): Promise<string>;
  /** By entry id (removes the entry) or by test pattern (removes it from every entry; empty entries go). Returns entries changed. */
  removeQuarantine(project: string, idOrPattern: string): Promise<number>;
  listQuarantine(project: string): Promise<StoredQuarantine[]>;
  /** Per gate over the project's last `window` finished runs. */
  gateRetryRates(project: string, window: number): Promise<GateRetryRate[]>;
  /** The project's whole history as records (history-file.ts), one run at a time: runs, gates, tests, metrics, findings, test names, baselines, approvals, quarantine, actions. */
  exportHistory(project: string): AsyncIterable<HistoryRecord>;
  /**
   * Take records from `exportHistory` into this store under `project`, in one transaction: all or
   * nothing. Runs (by id) and entries the store already has are left as they are. Throws
   * StoreError HISTORY_FILE_INVALID naming the line for a record that cannot be true of a history.
   */
  importHistory(project: string, records: AsyncIterable<{ line: number; record: HistoryRecord }>): Promise<HistoryImportResult>;
  /** Projects with recorded runs. Read-only, like every dashboard read below. */
  projects(): Promise<string[]>;
  /** Branches with recorded runs of the project. */
  branches(project: string): Promise<string[]>;
  /** Newest first, filtered; never records anything (a dead 'running' run reads as interrupted). */
  searchRuns(filter: DashboardRunFilter): Promise<RunSummary[]>;
  /** One run by its exact id, read-only. */
  readRun(project: string, id: string): Promise<StoredRun | undefined>;
  /** The last `limit` finished runs (on `branch`), oldest first, with per-gate durations, test counts, metrics. */
  trendRuns(project: string, opts: { branch?: string; limit: number }): Promise<TrendRun[]>;
  /** Tests that failed or errored most often in the last `window` finished runs. */
  mostFailing(project: string, opts: { window: number; limit: number }): Promise<TestFailureCount[]>;
  /** The slowest tests of the newest finished run that recorded tests. */
  slowestTests(project: string, opts: { limit: number }): Promise<{ runId: string | null; tests: SlowTest[] }>;
  /** One test (by id, or `#<key>`) in each of the last `window` finished runs it ran in, newest first. */
  testRuns(project: string, testId: string, window: number): Promise<TestRunEntry[]>;
  /** Bytes the store takes on disk. */
  storeSize(): Promise<number>;
  /**
   * Retention: removes the test logs, test rows and findings of finished runs started before
   * `before` (ISO); run rows, decisions, gate results and metrics stay. `keepLastGood` spares
   * each branch's last-good run.
   */
  prune(opts: { project?: string; before: string; keepLastGood: boolean }): Promise<PruneResult>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** `postgres://…` (or `postgresql://…`), optionally with `?schema=name`. Wins over `file`. */
  url?: string;
  /** SQLite file; parent folders are created. The caller picks the default (`.shipgate/shipgate.db`). */
  file?: string;
  /** PostgreSQL schema to work in (created if missing); overrides the URL's `?schema=`. */
  schema?: string;
}

/** Where the SQLite store lives under a project root when no URL is given. */
export const DEFAULT_STORE_FILE = '.shipgate/shipgate.db';

/**
 * Where a project's history goes: `SHIPGATE_DATABASE_URL` wins over the config's `store.url`
 * (so CI can point every machine at one database without editing the config); without either,
 * the SQLite file under the project root.
 */
export function storeLocation(root: string, configUrl: string | undefined, env: NodeJS.ProcessEnv = process.env): OpenStoreOptions {
  const url = env.SHIPGATE_DATABASE_URL || configUrl;
  return url ? { url } : { file: join(root, DEFAULT_STORE_FILE) };
}

/** Open (and migrate) the store. Throws StoreError: STORE_URL, STORE_OPEN, STORE_MIGRATE. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.url !== undefined && opts.url !== '') {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(opts.url)?.[1]?.toLowerCase();
    if (scheme !== 'postgres' && scheme !== 'postgresql') {
      throw new StoreError('STORE_URL', `unsupported store URL ${redact(opts.url)}: only postgres:// URLs are supported`, {
        hint: 'set SHIPGATE_DATABASE_URL (or store.url) to postgres://user@host:5432/database, or unset it to use the SQLite file',
      });
    }
    const target = parsePostgresUrl(opts.url, opts.schema);
    // Drivers load only when their store is opened: `validate`, `plan` and a --no-history run pay for neither.
    const { openPostgres } = await loadDriver(() => import('./postgres.js'), 'pg');
    const db = openPostgres(target);
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      await db.destroy().catch(() => undefined);
      throw new StoreError('STORE_OPEN', `cannot connect to the history store ${redact(target.url)}: ${errText(err)}`, {
        hint: 'check that PostgreSQL is running and the URL (host, port, user, database) is right',
        cause: err,
      });
    }
    return ready(new KyselyStore('postgres', db), () => migrate(db, 'postgres', target.schema));
  }
  if (!opts.file) {
    throw new StoreError('STORE_OPEN', 'no history store given: neither a PostgreSQL URL nor a SQLite file', {
      hint: 'pass a file (shipgate uses .shipgate/shipgate.db) or set SHIPGATE_DATABASE_URL',
    });
  }
  await refuseEmptyFile(opts.file);
  const { openSqlite } = await loadDriver(() => import('./sqlite.js'), 'better-sqlite3');
  const db = openSqlite(opts.file);
  return ready(new KyselyStore('sqlite', db), () => migrate(db, 'sqlite'));
}

/** How long an empty store file may take to show that another process is creating it. */
const EMPTY_STORE_GRACE_MS = 2000;

/**
 * A store file that exists but holds nothing is not a new history: it is usually a cache restore
 * that went wrong, and taking it as new would silently drop every approval, quarantine and baseline.
 * But SQLite itself creates the file empty, and in WAL mode writes the first pages to `-wal`: a
 * store another process is creating this very moment is empty too, briefly, and has a `-wal` or
 * `-journal` beside it, or content, within moments. Only a file that stays empty and alone is refused.
 */
async function refuseEmptyFile(file: string): Promise<void> {
  const size = (path: string): number | undefined => {
    try {
      return statSync(path).size;
    } catch {
      return undefined;
    }
  };
  if (size(file) !== 0) return; // no file yet (a new store is created), or one with content
  const deadline = Date.now() + EMPTY_STORE_GRACE_MS;
  for (;;) {
    if ((size(file) ?? 1) > 0 || size(`${file}-wal`) !== undefined || size(`${file}-journal`) !== undefined) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new StoreError('STORE_EMPTY', `the history store ${file} exists but is empty (0 bytes)`, {
    hint: 'an empty file is not a history: restore the real one (check the CI cache step), delete the empty file to start afresh, or run with --no-history',
  });
}

/** Load a driver module; a missing native binding says how to fix it instead of a stack trace. */
async function loadDriver<T>(load: () => Promise<T>, pkg: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const native = pkg === 'better-sqlite3';
    throw new StoreError('STORE_OPEN', `cannot load the ${native ? 'SQLite' : 'PostgreSQL'} driver (${pkg}): ${errText(err)}`, {
      hint: native ? SQLITE_BINDING_HINT : `reinstall dependencies (npm ci), or run with --no-history`,
      cause: err,
    });
  }
}

async function ready(store: KyselyStore, run: () => Promise<void>): Promise<Store> {
  try {
    await run();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

function errText(err: unknown): string {
  // Node's "Require stack:" lists the install's own files, one a line: not the user's concern.
  return (err instanceof Error ? err.message : String(err)).replace(/\nRequire stack:[\s\S]*$/, '');
}
