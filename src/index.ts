/** The public library API of shipgate. */
export { run, type RunOptions } from './run/run.js';
export { loadConfig, defineConfig, validateConfig } from './config/load.js';
export { selectGates, type Plan, type PlannedGate, type SelectOptions } from './plan/select.js';
export { decide } from './decide/decide.js';
export { judgeGate } from './policy/judge.js';
export { formatSummary, formatDiagnostics } from './report/summary.js';
export type { Reporter, RunInfo } from './report/reporter.js';
export type { Config, GateConfig, ServiceConfig, ProbeConfig, Severity, When } from './config/types.js';
export type { UserConfig } from './config/schema.js';
export type { Decision, GateVerdict, GateOutcome, Check, RequirementVerdict, TestCounts } from './decide/types.js';
export type { Evidence, TestResult, Metric, Finding, Coverage, EvidenceFormat } from './evidence/model.js';
export { ShipgateError, ConfigError, UsageError, EvidenceError, StoreError, InterruptedError } from './errors.js';
