/**
 * The typed registry of evidence formats: one parser per file, listed here once. Order matters for
 * sniffing only where two formats share a container (XML, JSON): the more specific comes first.
 */
import type { EvidenceFormat, FormatParser } from './model.js';
import { junitParser } from './junit.js';
import { tapParser } from './tap.js';
import { goTestJsonParser } from './go-test-json.js';
import { lcovParser } from './lcov.js';
import { coberturaParser } from './cobertura.js';
import { jacocoParser } from './jacoco.js';
import { istanbulSummaryParser, istanbulFinalParser } from './istanbul.js';
import { sonarCoverageParser } from './sonar-coverage.js';
import { sarifParser } from './sarif.js';
import { k6SummaryParser } from './k6.js';
import { pytestBenchmarkParser } from './pytest-benchmark.js';
import { hyperfineParser } from './hyperfine.js';
import { googleBenchmarkParser } from './google-benchmark.js';
import { vitestBenchParser } from './vitest-bench.js';
import { criterionParser } from './criterion.js';
import { goBenchParser } from './go-bench.js';
import { metricsJsonParser } from './metrics-json.js';
import { prometheusParser } from './prometheus.js';

export const PARSERS: readonly FormatParser[] = [
  junitParser,
  jacocoParser,
  coberturaParser,
  sonarCoverageParser,
  sarifParser,
  k6SummaryParser,
  pytestBenchmarkParser,
  hyperfineParser,
  googleBenchmarkParser,
  vitestBenchParser,
  criterionParser,
  istanbulSummaryParser,
  istanbulFinalParser,
  metricsJsonParser,
  goTestJsonParser,
  tapParser,
  lcovParser,
  goBenchParser,
  prometheusParser,
];

const BY_FORMAT = new Map<EvidenceFormat, FormatParser>(PARSERS.map((p) => [p.format, p]));

export function parserFor(format: EvidenceFormat): FormatParser {
  const p = BY_FORMAT.get(format);
  if (!p) throw new Error(`no parser registered for ${format}`);
  return p;
}
