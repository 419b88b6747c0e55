/**
 * The reporter registry: every kind `--report KIND[=PATH]` accepts, what it writes, where it
 * writes without a PATH, and which CI it is native to (on by default there; `--no-ci-report`
 * turns that off). One implementation per file; this file only names them.
 *
 * Every reporter made here is wrapped twice: it renders the decision with the run's secrets
 * masked again (idempotent: the decision may already be redacted), and it cannot change the
 * decision — an error is caught, said on stderr, and counted as a failed output only when the
 * user asked for that report (a default CI reporter that fails is a warning).
 */
import { resolve } from 'node:path';
import type { Decision, GateVerdict } from '../decide/types.js';
import { redactDeep } from '../run/redact.js';
import { printable } from '../util/printable.js';
import { safeWriteFile } from '../run/safe-write.js';
import { azureReporter } from './azure.js';
import { buildkiteReporter } from './buildkite.js';
import type { CommandGuard } from './ci-guard.js';
import { formatCodeQuality } from './codequality.js';
import { githubReporter } from './github.js';
import { gitlabReporter } from './gitlab.js';
import { formatHtml } from './html.js';
import { decisionJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatMarkdown } from './markdown.js';
import type { Reporter } from './reporter.js';
import type { SinkContext } from './sinks.js';

import { REPORT_KINDS, type ReportKind, type ReportTarget } from './kinds.js';

export { REPORT_KINDS, isReportKind, type ReportKind, type ReportTarget } from './kinds.js';

export interface ReporterSpec {
  kind: ReportKind;
  description: string;
  /** Where the report goes without a PATH (relative to the project root), or what the kind writes to. */
  defaultTarget: string;
  /** The ci-info vendor constant whose native reporter this is. */
  ci?: string;
  create(path: string | undefined, ctx: SinkContext & { guard?: CommandGuard }): Reporter;
}

const reportsDir = (ctx: SinkContext, file: string) => resolve(ctx.rootDir, '.shipgate', 'reports', file);

function fileReporter(render: (d: Decision, ctx: SinkContext) => string, file: string): ReporterSpec['create'] {
  return (path, ctx) => ({ onDecision: (d) => safeWriteFile(path ?? reportsDir(ctx, file), render(d, ctx)) });
}

export const REPORTERS: Record<ReportKind, ReporterSpec> = {
  json: { kind: 'json', description: 'the decision as JSON', defaultTarget: '.shipgate/reports/decision.json', create: fileReporter((d) => decisionJson(d), 'decision.json') },
  junit: { kind: 'junit', description: 'JUnit XML: gates and requirements as test cases', defaultTarget: '.shipgate/reports/junit.xml', create: fileReporter((d) => formatJunit(d), 'junit.xml') },
  markdown: { kind: 'markdown', description: 'GitHub-flavoured Markdown summary', defaultTarget: '.shipgate/reports/summary.md', create: fileReporter((d) => formatMarkdown(d), 'summary.md') },
  html: { kind: 'html', description: 'one self-contained HTML page (no server, no network)', defaultTarget: '.shipgate/reports/report.html', create: fileReporter((d) => formatHtml(d), 'report.html') },
  codequality: {
    kind: 'codequality',
    description: 'GitLab Code Quality JSON of the findings',
    defaultTarget: '.shipgate/reports/codequality.json',
    create: fileReporter((d, ctx) => formatCodeQuality(d, { root: ctx.env.CI_PROJECT_DIR || ctx.rootDir }), 'codequality.json'),
  },
  github: {
    kind: 'github',
    description: 'GitHub Actions job summary, annotations and step outputs',
    defaultTarget: '$GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT, annotations on stdout (PATH: write the summary there instead)',
    ci: 'GITHUB_ACTIONS',
    create: (path, ctx) => githubReporter(path, ctx, ctx.guard),
  },
  gitlab: {
    kind: 'gitlab',
    description: 'GitLab JUnit and Code Quality reports',
    defaultTarget: '.shipgate/reports/junit.xml and .shipgate/reports/codequality.json (PATH: a folder)',
    ci: 'GITLAB',
    create: (path, ctx) => gitlabReporter(path, ctx),
  },
  buildkite: {
    kind: 'buildkite',
    description: 'a Buildkite annotation (buildkite-agent annotate)',
    defaultTarget: 'buildkite-agent annotate (PATH: also write the Markdown there)',
    ci: 'BUILDKITE',
    create: (path, ctx) => buildkiteReporter(path, ctx),
  },
  azure: {
    kind: 'azure',
    description: 'Azure Pipelines issues, build summary and output variables',
    defaultTarget: '##vso commands on stdout; the summary in .shipgate/reports/azure-summary.md (PATH: the summary file)',
    ci: 'AZURE_PIPELINES',
    create: (path, ctx) => azureReporter(path, ctx),
  },
};

/** The native reporter of a CI vendor (ci-info constant), if shipgate has one. */
export function nativeReporterFor(vendor: string | undefined): ReportKind | undefined {
  if (!vendor) return undefined;
  return REPORT_KINDS.find((k) => REPORTERS[k].ci === vendor);
}

export interface MadeReporter {
  target: ReportTarget;
  reporter: Reporter;
}

/**
 * A reporter that renders masked decisions and never throws: its failure is said (with the kind
 * and the reason) through `onFailure`, and the run goes on with the decision unchanged.
 */
export function guarded(target: ReportTarget, inner: Reporter, secrets: readonly string[], onFailure: (target: ReportTarget, hook: string, error: unknown) => void): Reporter {
  const mask = <T>(v: T): T => (secrets.length ? redactDeep(v, secrets) : v);
  const attempt = async (hook: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      onFailure(target, hook, e);
    }
  };
  const out: Reporter = {};
  if (inner.onRunStart) out.onRunStart = (info) => attempt('onRunStart', () => inner.onRunStart!(info));
  if (inner.onGateEnd) out.onGateEnd = (v: GateVerdict) => void attempt('onGateEnd', () => inner.onGateEnd!(mask(v)));
  if (inner.onDecision) out.onDecision = (d: Decision) => attempt('onDecision', () => inner.onDecision!(mask(d)));
  if (inner.close) out.close = () => attempt('close', () => inner.close!());
  return out;
}

export function describeFailure(target: ReportTarget, error: unknown): string {
  const code = (error as { code?: string }).code;
  const msg = printable((error as Error)?.message ?? String(error));
  return `shipgate: the ${target.kind} report${target.path ? ` (${printable(target.path)})` : ''} failed: ${msg}${code ? ` [${code}]` : ''} (the decision is unchanged)`;
}
