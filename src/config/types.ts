/**
 * The normalised configuration: what every later stage works with. Durations are milliseconds,
 * sizes are bytes, paths are absolute, defaults are filled in. What users write is described by
 * `schema.ts`; `normalize.ts` turns one into the other.
 */
import type { EvidenceFormat } from '../model/evidence.js';
import type { Severity } from '../model/types.js';
import type { CheckConfigs } from '../checks/registry.js';

export type { Severity };
export type When = 'always' | 'ci' | 'local';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';

export interface ReadyCheck {
  /** Expect a 2xx from this URL. */
  http?: string;
  /** Expect this shell command to exit 0. */
  command?: string;
  timeoutMs: number;
  intervalMs: number;
}

export interface ServiceConfig {
  id: string;
  run: string;
  /** Ports the service listens on (`port:`): free before it starts, its own once ready. */
  ports: number[];
  cwd: string;
  env: Record<string, string>;
  ready?: ReadyCheck;
}

export interface ProbeConfig {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Accepted status codes; default: any 2xx. */
  status?: number[];
  bodyContains: string[];
  /** Regular expression sources, each must match the body. */
  bodyMatches: string[];
  /** JSON path (dot/bracket form, e.g. `data.items[0].id`) → expected value. */
  json: Record<string, unknown>;
  /** Header name (lower case) → expected exact value, or `/regex/flags`. */
  header: Record<string, string>;
  maxLatencyMs?: number;
  /** Retry the probe until it passes or the deadline is reached. */
  retry?: { deadlineMs: number; intervalMs: number };
  /** Steady state: this many passing answers in a row are needed (default 1). */
  consecutive: number;
  /** Steady state: passing answers must span at least this long. */
  minDurationMs?: number;
  /** A gate's probe bound to a phase of its chaos timeline (`during: fault`, `after: recovery`). */
  phase?: 'fault' | 'recovery';
  /** With `after: recovery`: poll until it passes, for at most this long. */
  withinMs?: number;
}

export interface ArtifactConfig {
  /** Glob relative to the gate's cwd; `${version}` etc. already interpolated at run time. */
  path: string;
  minSize?: number;
  maxSize?: number;
  /** Expected sha256 (hex) when given. */
  sha256?: string;
  /** The file must have been written during this run (default true). */
  fresh: boolean;
}

export interface ReportSpec {
  /** Path or glob relative to the gate's cwd. */
  path: string;
  /** Force a format instead of sniffing the content. */
  format?: EvidenceFormat;
  /** In a gate whose reports come from outside the run: the oldest a file may be. */
  maxAgeMs?: number;
}

export interface RetryConfig {
  /** Total attempts (1 = no retry). */
  attempts: number;
  delayMs: number;
}

export interface ManualConfig {
  checklist: string[];
  evidence: 'required' | 'optional';
  approvers?: string[];
  /** An approval counts for this long after it was given (default 30 days). */
  expiresMs: number;
  /** Approver → OpenSSH ed25519 public key: only signed approvals that verify count. */
  keys?: Record<string, string>;
}

export interface GateConfig {
  id: string;
  title: string;
  /** The command's steps, run in order, each in its own shell (one string in YAML is one step). */
  run?: string[];
  cwd: string;
  env: Record<string, string>;
  /** Exit codes by which the test runner says "some tests failed" (default [1]). */
  testsFailedExitCodes: number[];
  /** A gate without a command: reports may be at most this old (default 1h). */
  maxAgeMs: number;
  needs: string[];
  when: When;
  optional: boolean;
  /** Probes and load may reach loopback listeners the gate did not start (`external: true`). */
  external: boolean;
  services: string[];
  /** Each check kind the gate uses, normalised, under its key (`probes`, `artifacts`, …; see checks/registry.ts). */
  checks: CheckConfigs;
  reports: ReportSpec[];
  /** Assertions in the expect language, as written. */
  expect: string[];
  severity: Severity;
  timeoutMs: number;
  budgetMs?: number;
  retry: RetryConfig;
  manual?: ManualConfig;
}

export interface RequirementConfig {
  id: string;
  title: string;
  /** Test id patterns (`*` matches any run of characters). */
  tests: string[];
  severity: Severity;
}

export interface QuarantineEntry {
  tests: string[];
  reason: string;
  /** ISO date (YYYY-MM-DD or full timestamp); after it the quarantine no longer applies. */
  until: string;
}

export interface BaselineConfig {
  /** Configured branch; undefined: the repository's default branch, resolved at run time. */
  branch?: string;
  /** A baseline check without a baseline blocks (instead of warning). */
  require: boolean;
  /** Number of READY runs whose median is the baseline. */
  runs: number;
  /** Fewer runs than this: drift checks warn "no baseline yet" instead of judging. */
  minRuns: number;
  warnPct: number;
  failPct: number;
  /** Per metric (name or `*` pattern): direction and thresholds. */
  metrics: Record<string, { direction?: 'lower' | 'higher'; warnPct?: number; failPct?: number }>;
}

export interface RollbackStep {
  title: string;
  run?: string;
  probe?: ProbeConfig;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
}

export interface RolloutStage {
  /** 1-based position. */
  index: number;
  id: string;
  /** Percent of traffic, 0 < weight ≤ 100. */
  weight: number;
  /** The traffic-shift command (the stage's, else the rollout's). */
  run: string;
  holdMs: number;
  intervalMs: number;
  /** Gate ids run as the analysis. */
  analysis: string[];
  /** approve: manual — who may approve and what, as for a manual gate. */
  manual?: ManualConfig;
}

export interface RolloutConfig {
  /** The rollout's own traffic-shift command (`rollout.run`), when given. */
  run?: string;
  stages: RolloutStage[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Run when an analysis fails; empty: the traffic-shift command with SHIPGATE_WEIGHT=0. */
  rollback: RollbackStep[];
}

export type NotifyWhen = 'ready' | 'blocked' | 'always';

/** `notify:` — values as written (`${env.NAME}` resolved when sending, so secrets never sit in the config). */
export interface NotifyConfig {
  slack?: { webhook: string; on: NotifyWhen[] };
  webhook?: { url: string; headers: Record<string, string>; secret?: string; on: NotifyWhen[] };
  githubComment?: { on: NotifyWhen[] };
  /** All notifications together are bounded by this (default 10 s). */
  timeoutMs: number;
}

export interface Config {
  name: string;
  /** Absolute path of the configuration file. */
  file: string;
  /** Directory of the configuration file; relative paths resolve against it. */
  rootDir: string;
  /** sha256 of the file's bytes, recorded with each run. */
  hash: string;
  defaults: { timeoutMs: number; severity: Severity; quarantineMaxMs: number; logMaxBytes: number };
  services: Record<string, ServiceConfig>;
  /** In declaration order. */
  gates: Record<string, GateConfig>;
  requirements: Record<string, RequirementConfig>;
  quarantine: QuarantineEntry[];
  store: { url?: string };
  baseline: BaselineConfig;
  rollback: RollbackStep[];
  /** `shipgate rollout` (absent: none declared). */
  rollout?: RolloutConfig;
  /** Steps of `shipgate run --publish`, after a READY full run is recorded. */
  publish: RollbackStep[];
  /** Environment variables declared secret (besides the names that say so). */
  secrets: string[];
  /** Notifications after the run (absent: none). */
  notify?: NotifyConfig;
}
