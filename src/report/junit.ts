/**
 * The decision as JUnit XML, for any CI that shows test reports (GitLab `artifacts:reports:junit`,
 * Jenkins, Azure's PublishTestResults, Buildkite Test Analytics). Two suites: `gates` and
 * `requirements`; each gate and requirement is one test case named by its id (stable across
 * runs: titles change, ids do not), in the class `shipgate.<project>.gates`. A case fails exactly
 * when it is a reason the release is blocked; a WARN passes with its reason in `system-out`; a
 * gate left out is skipped with the reason. The failure text names the failed checks, the failing
 * tests with their messages (at most 50) and the tail of the log.
 *
 * The layout follows the JUnit schema that the Jenkins xUnit plugin publishes (junit-10.xsd):
 * `testsuites > testsuite > testcase > (skipped | failure | error)?, system-out?`.
 */
import type { Decision, GateVerdict, RequirementVerdict } from '../decide/types.js';
import { escapeXml } from './escape.js';
import { STATUS_LABEL, formatCounts } from './summary.js';
import { blocksRelease } from './view.js';

const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

interface Case {
  name: string;
  classname: string;
  timeMs: number;
  outcome: 'pass' | 'failure' | 'skipped';
  message?: string;
  text?: string;
  out?: string;
}

function gateFailureText(g: GateVerdict): string {
  const lines: string[] = [`${g.id}${g.title !== g.id ? ` (${g.title})` : ''}: ${STATUS_LABEL[g.status]}${g.reason ? ` — ${g.reason}` : ''}`];
  for (const c of g.checks.filter((x) => !x.ok)) lines.push(`  ✗ ${c.check}: ${c.expected ? `expected ${c.expected}, got ${c.actual}` : c.actual}${c.message ? ` — ${c.message.split('\n')[0]}` : ''}`);
  const failing = g.failingTests.filter((t) => !t.quarantined);
  if (failing.length) {
    lines.push(`failing tests (${failing.length}):`);
    for (const t of failing.slice(0, 50)) {
      lines.push(`  ✗ ${t.id} [${t.status}]`);
      if (t.message) lines.push(...t.message.split('\n').slice(0, 10).map((l) => `      ${l}`));
    }
    if (failing.length > 50) lines.push(`  … and ${failing.length - 50} more`);
  }
  for (const f of g.findings ?? []) lines.push(`  ${f.level.toUpperCase()} ${f.rule} ${f.file ?? ''}${f.line !== undefined ? `:${f.line}` : ''} — ${f.message}`);
  if (g.approveCommand) lines.push(`approve with: ${g.approveCommand}`);
  if (g.logTail?.length) lines.push(`last ${Math.min(20, g.logTail.length)} lines of the log:`, ...g.logTail.slice(-20).map((l) => `  │ ${l}`));
  return lines.join('\n');
}

function gateCase(d: Decision, g: GateVerdict): Case {
  const base = { name: g.id, classname: `shipgate.${d.project}.gates`, timeMs: g.durationMs };
  const counts = formatCounts(g.counts);
  const out = [`${g.title}${counts ? ` ${counts}` : ''}: ${STATUS_LABEL[g.status]} (severity ${g.severity})`, ...(g.reason ? [g.reason] : []), ...g.warnings.map((w) => `warning: ${w}`)].join('\n');
  if (blocksRelease(g)) return { ...base, outcome: 'failure', message: `${STATUS_LABEL[g.status]}: ${(g.reason ?? '').split('\n')[0]}`.slice(0, 1000), text: gateFailureText(g), out };
  if (g.status === 'skip' || g.status === 'not-run' || g.status === 'cancelled' || g.status === 'pending') return { ...base, outcome: 'skipped', message: `${STATUS_LABEL[g.status]}: ${g.reason ?? ''}`.slice(0, 1000), out };
  return { ...base, outcome: 'pass', out };
}

function requirementCase(d: Decision, r: RequirementVerdict): Case {
  const base = { name: r.id, classname: `shipgate.${d.project}.requirements`, timeMs: 0 };
  const problems = [
    ...r.unmatched.map((p) => `✗ ${p}: no test of this run matches`),
    ...r.failed.map((t) => `✗ ${t.id} (${t.gate}) ${t.status}${t.message ? ` — ${t.message.split('\n')[0]}` : ''}`),
    ...r.notRun.map((t) => `✗ ${t.id} (${t.gate}) did not run`),
    ...r.unproven.map((t) => `✗ ${t.id} (${t.gate}) ${t.reason}`),
  ];
  const evidence = r.evidence.map((e) => `${e.gate}: ${e.passed}/${e.tests} tests`).join(', ') || 'no matching tests';
  const out = `${r.title}: ${r.status.toUpperCase()} (${evidence})${problems.length && r.status !== 'fail' ? `\n${problems.join('\n')}` : ''}`;
  if (r.status === 'fail') return { ...base, outcome: 'failure', message: `FAIL: ${r.title}`.slice(0, 1000), text: [`${r.title}: FAIL (${evidence})`, ...problems.slice(0, 200), ...(problems.length > 200 ? [`… and ${problems.length - 200} more`] : [])].join('\n'), out };
  return { ...base, outcome: 'pass', out };
}

function suite(name: string, cases: Case[], timestamp: string): string {
  const failures = cases.filter((c) => c.outcome === 'failure').length;
  const skipped = cases.filter((c) => c.outcome === 'skipped').length;
  const time = cases.reduce((s, c) => s + c.timeMs, 0);
  const lines = [`  <testsuite name="${escapeXml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(time)}" timestamp="${escapeXml(timestamp)}">`];
  for (const c of cases) {
    const open = `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="${secs(c.timeMs)}"`;
    const inner: string[] = [];
    if (c.outcome === 'failure') inner.push(`      <failure message="${escapeXml(c.message ?? '')}" type="blocking">${escapeXml(c.text ?? '', { multiline: true })}</failure>`);
    if (c.outcome === 'skipped') inner.push(`      <skipped message="${escapeXml(c.message ?? '')}"/>`);
    if (c.out) inner.push(`      <system-out>${escapeXml(c.out, { multiline: true })}</system-out>`);
    lines.push(inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`);
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

export function formatJunit(d: Decision): string {
  // The timestamp attribute of junit-10.xsd is an ISO 8601 date-time without a zone.
  const timestamp = d.startedAt.replace(/\.\d+Z$|Z$/, '');
  const gates = d.gates.map((g) => gateCase(d, g));
  const reqs = d.requirements.map((r) => requirementCase(d, r));
  const all = [...gates, ...reqs];
  const failures = all.filter((c) => c.outcome === 'failure').length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(`shipgate ${d.project} ${d.version}: RELEASE ${d.result}`)}" tests="${all.length}" failures="${failures}" errors="0" time="${secs(d.durationMs)}">`,
    suite('gates', gates, timestamp),
  ];
  if (reqs.length) out.push(suite('requirements', reqs, timestamp));
  out.push('</testsuites>', '');
  return out.join('\n');
}
