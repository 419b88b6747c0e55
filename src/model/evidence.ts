/**
 * One evidence model for every report format. Parsers (one file per format) turn files into an
 * `EvidencePart`; `collect.ts` merges the parts of a gate's reports into its `Evidence`.
 *
 * Stable test id — what requirements, history and quarantine key on:
 *   `<suite-or-classname>::<name>` with `/` path separators, whitespace collapsed. For file-based
 *   runners the suite is the file path relative to the gate's cwd when the report gives one (pytest:
 *   `tests/test_api.py::test_health`); otherwise the classname or suite name
 *   (`com.acme.CalcTest::adds`, `github.com/acme/pkg::TestParse/sub`). See `testid.ts`.
 */

export type EvidenceFormat =
  | 'junit'
  | 'tap'
  | 'go-test-json'
  | 'lcov'
  | 'cobertura'
  | 'jacoco'
  | 'istanbul-summary'
  | 'istanbul-final'
  | 'sonar-coverage'
  | 'sarif'
  | 'k6-summary'
  | 'pytest-benchmark'
  | 'hyperfine'
  | 'google-benchmark'
  | 'vitest-bench'
  | 'criterion'
  | 'go-bench'
  | 'metrics-json'
  | 'prometheus';

export const EVIDENCE_FORMATS: readonly EvidenceFormat[] = [
  'junit',
  'tap',
  'go-test-json',
  'lcov',
  'cobertura',
  'jacoco',
  'istanbul-summary',
  'istanbul-final',
  'sonar-coverage',
  'sarif',
  'k6-summary',
  'pytest-benchmark',
  'hyperfine',
  'google-benchmark',
  'vitest-bench',
  'criterion',
  'go-bench',
  'metrics-json',
  'prometheus',
];

/** Formats whose reports hold test results (a gate declaring one is a test gate). */
export const TEST_FORMATS: readonly EvidenceFormat[] = ['junit', 'tap', 'go-test-json'];

export type TestStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface TestResult {
  /** Stable id, see the scheme above. */
  id: string;
  suite: string;
  name: string;
  file?: string;
  status: TestStatus;
  durationMs?: number;
  /** Executions of this test in this report (1 + reruns). */
  attempts: number;
  /** Failed at least once, then passed (JUnit flakyFailure/flakyError, or a rerun that passed). */
  flaky: boolean;
  /** First lines of the failure/error/skip message. */
  message?: string;
  /** Report file this came from (relative to the gate's cwd). */
  source?: string;
}

export interface CoverageCounter {
  covered: number;
  total: number;
  /** Percent 0..100; null when total is 0 (nothing to cover). */
  pct: number | null;
}

export interface FileCoverage {
  file: string;
  lines?: CoverageCounter;
  branches?: CoverageCounter;
  functions?: CoverageCounter;
  statements?: CoverageCounter;
}

export interface Coverage {
  lines?: CoverageCounter;
  branches?: CoverageCounter;
  functions?: CoverageCounter;
  statements?: CoverageCounter;
  files: FileCoverage[];
}

export type FindingLevel = 'error' | 'warning' | 'note' | 'none';
export type SecuritySeverity = 'critical' | 'high' | 'medium' | 'low';

/** SARIF `baselineState`: how a result compares with the baseline run the tool was given. */
export type BaselineState = 'new' | 'unchanged' | 'updated' | 'absent';

/**
 * One SARIF result that is a finding (kind `fail`, `review` or `open`; `pass`, `notApplicable` and
 * `informational` results are not findings and are not kept).
 */
export interface Finding {
  tool: string;
  ruleId: string;
  level: FindingLevel;
  /** CVSS-like score from `security-severity` when the tool gives one. */
  securityScore?: number;
  /** Bucketed from the score (GitHub's bands: >=9 critical, >=7 high, >=4 medium, >0 low) or tool's own label. */
  securitySeverity?: SecuritySeverity;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /**
   * True only when the result is suppressed (a suppression with status `accepted` or no status).
   * Suppressed findings are kept in the evidence so they can be counted as such; policy leaves
   * them out of the finding counts.
   */
  suppressed?: boolean;
  /** The tool's `baselineState` when it ran against a baseline (`absent` results are not kept). */
  baselineState?: BaselineState;
  /**
   * Stable identity across runs: the result's own `fingerprints` (`<key>:<value>`, first key in
   * sorted order), else `partial:` + a hash of its `partialFingerprints` with tool and rule, else a
   * 16-hex sha256 of tool, rule id, file and message (never the line, which shifts between commits).
   * Always set by the SARIF parser.
   */
  fingerprint: string;
}

/**
 * A measured number. Names are dotted paths as the expect language addresses them:
 *   `metric.<name>` for metrics files and Prometheus; `metric.<k6 metric>.<stat>` for k6
 *   (`metric.http_req_duration.p95`, `metric.checks.rate`); `bench.<name>.<stat>` for benchmarks
 *   (`bench.parse_large.mean`, stats: mean, median, min, max, stddev, ops).
 * Units are canonical so comparisons need no guessing: time in `ms`, sizes in `B`, ratios as
 * plain numbers (`rate` 0..1), percentages as `%`; anything else keeps the unit it was given.
 */
export interface Metric {
  name: string;
  value: number;
  unit?: string;
  source?: string;
}

/** k6 thresholds as the tool judged them. */
export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  source?: string;
}

/** What one report file contributed. Every field optional; parsers fill what their format has. */
export interface EvidencePart {
  tests?: TestResult[];
  coverage?: Coverage;
  findings?: Finding[];
  metrics?: Metric[];
  thresholds?: ThresholdResult[];
}

/** One declared report as read. */
export interface ReportRead {
  path: string;
  format?: EvidenceFormat;
  ok: boolean;
  /** When the file was last written (epoch ms), for telling which step of a command wrote it. */
  mtimeMs?: number;
  /** Stable code (EVIDENCE_*) and message when the report could not be used. */
  error?: { code: string; message: string };
}

/** Test counts straight from the reports (before quarantine): what `Evidence.testTotals` holds. */
export interface TestTotals {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** Tests marked flaky (failed, then passed), whatever their final status. */
  flaky: number;
}

/** Everything a gate's reports said. */
export interface Evidence {
  /**
   * The tests. Without `testTotals`, every test of the reports. With `testTotals` (a gate run
   * streams its tests into a tally: see run/test-tally.ts), only a subset: every failed, errored
   * and flaky test, plus passing tests that history needs to see (one that failed on this same
   * commit before); the counts of all of them are in `testTotals`.
   */
  tests: TestResult[];
  /** Counts over every test of the reports, when `tests` holds only a subset (see above). */
  testTotals?: TestTotals;
  coverage?: Coverage;
  findings: Finding[];
  metrics: Metric[];
  thresholds: ThresholdResult[];
  reports: ReportRead[];
}

export function emptyEvidence(): Evidence {
  return { tests: [], findings: [], metrics: [], thresholds: [], reports: [] };
}

/** A parser for one format: pure with respect to its input file; streams where files can be large. */
export interface FormatParser {
  format: EvidenceFormat;
  /** Given the first bytes of the file (decoded as UTF-8), is it this format? */
  sniff(head: string): boolean;
  /**
   * Parse the file at `path`. Throws `EvidenceError` for anything it cannot trust. With `onTest`,
   * a parser may hand each test to it as soon as it is complete instead of returning it in
   * `tests` (the JUnit parser does; a test handed over is never returned as well): memory then
   * stays flat however many tests the file holds. Tests handed over before a throw belong to a
   * report that failed; the caller must forget them.
   */
  parse(path: string, opts: ParseOptions): Promise<EvidencePart>;
}

export interface ParseOptions {
  displayPath: string;
  /** Receives each test as it is read; the object is the parser's own, fresh, and the receiver's to keep or change. */
  onTest?: (t: TestResult) => void;
}
