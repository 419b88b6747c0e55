/**
 * Table types for Kysely. The same shapes on SQLite and PostgreSQL, so the queries are shared:
 * booleans are stored as 0/1 integers and timestamps as ISO-8601 UTC text (SQLite has neither a
 * boolean nor a timestamp type; ISO text keeps both backends identical and sorts correctly).
 */
import type { Generated, Selectable } from 'kysely';

export interface RunsTable {
  /** Surrogate key: small, ordered by insertion, and what child rows reference (keeps 2M test rows small). */
  seq: Generated<number>;
  id: string;
  project: string;
  version: string;
  commit: string | null;
  branch: string | null;
  ci: number;
  host: string;
  pid: number;
  config_hash: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  result: string | null;
  state: string;
  retries: number;
  gates: number;
  /** The whole Decision as JSON, for `shipgate show`. */
  decision: string | null;
  /** `--only …`/`--skip …` when the run left gates out; null for a full run. */
  selection: string | null;
  /** 1: the working tree had uncommitted changes; 0: clean; null: unknown (not a git repository). */
  dirty: number | null;
  dirty_files: number | null;
  /** Fingerprint of the uncommitted changes (null when clean or unknown). */
  tree: string | null;
}

export interface GateResultsTable {
  run_seq: number;
  gate: string;
  status: string;
  severity: string;
  duration_ms: number;
  attempts: number;
  reason: string | null;
  /** Check[] as JSON. */
  checks: string;
}

/**
 * Dictionary of test ids per project, by key (test-key.ts: a 52-bit hash of project and id; a
 * bigint on PostgreSQL). Only keys that need a name have an entry: those of tests with a row in
 * `test_results` (and, in a store migrated from schema 2, every test it had recorded).
 */
export interface TestIdsTable {
  project: string;
  id: number;
  test_id: string;
}

/** Tests that failed, errored or were flaky in a run, with their message: passing tests have no row (see `test_runs`). */
export interface TestResultsTable {
  run_seq: number;
  /** The test's key (test-key.ts), named in `test_ids`. */
  test_key: number;
  gate: string;
  status: string;
  duration_ms: number | null;
  attempts: number;
  flaky: number;
  message: string | null;
}

/** Every test of one gate in one run: a compact log (test-log.ts documents the layout of `data`). */
export interface TestRunsTable {
  run_seq: number;
  gate: string;
  /** Tests in the log (also in its header). */
  count: number;
  /** 1 when each failed, errored or flaky test of the log occurs in it once: its row is all of it. */
  bad_once: number;
  data: Uint8Array;
}

export interface MetricsTable {
  run_seq: number;
  gate: string;
  name: string;
  value: number;
  unit: string | null;
}

/** Samples brought in by `baseline import`, kept apart from recorded runs. */
export interface BaselineSamplesTable {
  project: string;
  branch: string;
  name: string;
  unit: string | null;
  value: number;
  run_id: string;
  version: string;
  commit: string | null;
  started_at: string;
  sample_branch: string | null;
  /** Gate the sample was measured in; null: any gate (imported from a format without gates). */
  gate: string | null;
}

/** The findings a run saw, by fingerprint: what `findings.new` compares against. */
export interface FindingsTable {
  run_seq: number;
  gate: string;
  fingerprint: string;
  level: string;
  rule: string;
  file: string | null;
  line: number | null;
}

/** Rollbacks and publishes: who did what, when, step by step. */
export interface ActionsTable {
  seq: Generated<number>;
  id: string;
  project: string;
  kind: string;
  by: string;
  from_version: string | null;
  to_version: string;
  to_commit: string | null;
  run_id: string | null;
  forced: number;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  result: string;
  /** StepResult[] as JSON. */
  steps: string;
}

export interface ApprovalsTable {
  id: Generated<number>;
  project: string;
  gate: string;
  version: string;
  commit: string | null;
  by: string;
  evidence: string | null;
  note: string | null;
  at: string;
  /** sha256 of the manual gate's definition (checklist, evidence rule, approvers) when it was approved. */
  definition: string | null;
  /** base64 ed25519 signature over the approval's canonical text (see policy/manual.ts). */
  signature: string | null;
}

export interface QuarantineTable {
  seq: Generated<number>;
  id: string;
  project: string;
  /** string[] as JSON. */
  tests: string;
  reason: string;
  until: string | null;
  by: string | null;
  added_at: string;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

export interface Database {
  runs: RunsTable;
  gate_results: GateResultsTable;
  test_ids: TestIdsTable;
  test_results: TestResultsTable;
  test_runs: TestRunsTable;
  metrics: MetricsTable;
  baseline_samples: BaselineSamplesTable;
  approvals: ApprovalsTable;
  quarantine: QuarantineTable;
  findings: FindingsTable;
  actions: ActionsTable;
  shipgate_migrations: MigrationsTable;
}

export type RunRow = Selectable<RunsTable>;
