/**
 * The decision as text: the summary table, the requirement table, then diagnostics for every gate
 * that is not a plain PASS. Pure (Decision → string), shared by the terminal and `shipgate show`.
 */
import { createColors } from 'picocolors';
import { formatDuration } from '../util/duration-format.js';
import type { Check, Decision, GateVerdict, RequirementVerdict } from '../decide/types.js';
import { printableDeep } from '../util/printable.js';
import { STATUS_LABEL, formatCounts } from '../model/labels.js';

export { STATUS_LABEL, formatCounts };

type Colors = ReturnType<typeof createColors>;
const RULE = '='.repeat(44);

function paint(c: Colors, status: GateVerdict['status'] | 'READY' | 'BLOCKED', text: string): string {
  switch (status) {
    case 'pass':
    case 'READY':
      return c.green(text);
    case 'fail':
    case 'BLOCKED':
    case 'cancelled':
      return c.red(text);
    case 'warn':
    case 'pending':
      return c.yellow(text);
    default:
      return c.dim(text);
  }
}


function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function statusDetail(g: GateVerdict): string {
  switch (g.status) {
    case 'pass': {
      const q = g.counts?.quarantined ? `${g.counts.quarantined} QUARANTINED` : '';
      const w = g.warnings.length ? `${g.warnings.length} warning${g.warnings.length > 1 ? 's' : ''}` : '';
      const parts = [q, w].filter(Boolean);
      return parts.length ? ` (${parts.join(', ')})` : '';
    }
    default:
      return g.reason ? ` (${shorten(g.reason, 60)})` : '';
  }
}

function requirementLine(r: RequirementVerdict): string {
  const ev = r.evidence.map((e) => `${e.gate}: ${e.passed}/${e.tests} tests`).join(', ');
  return ev || 'no matching tests';
}

export function formatSummary(decision: Decision, opts: { color?: boolean } = {}): string {
  // Every string in a decision may come from a gate (names, messages, versions): nothing printed
  // from it can clear the screen or draw lines that look like shipgate's own.
  const d = printableDeep(decision);
  const c = createColors(opts.color ?? false);
  const lines: string[] = [];
  // `1.2.3` reads as v1.2.3; a tag (`v1.2.3`) or a bare commit from git describe (`43daf00`) stays as it is.
  lines.push(RULE, `  RELEASE GATE SUMMARY (${/^\d+\.\d+/.test(d.version) ? `v${d.version}` : d.version})`, RULE);
  // What this run can and cannot stand for, before any gate line.
  if (d.partial) lines.push(`  ${c.yellow('PARTIAL RUN')} (${d.selection ?? 'gates left out'}): not every gate ran; never last-good nor a baseline`);
  if (d.tree?.dirty) lines.push(`  ${c.yellow('UNCOMMITTED CHANGES')}: ${d.tree.files} file${d.tree.files === 1 ? '' : 's'} differ from ${d.commit ? d.commit.slice(0, 12) : 'the commit'}`);
  if (d.labels?.length) lines.push(`  LABELLED: ${d.labels.join(', ')}`);
  if (d.partial || d.tree?.dirty || d.labels?.length) lines.push(RULE);
  const idW = Math.max(...d.gates.map((g) => g.id.length), 2);
  const titles = d.gates.map((g) => {
    const counts = formatCounts(g.counts);
    const title = g.title === g.id ? '' : g.title;
    return [title, counts].filter(Boolean).join(' ');
  });
  const titleW = Math.max(...titles.map((t) => t.length), 0);
  d.gates.forEach((g, i) => {
    const label = STATUS_LABEL[g.status];
    lines.push(`  ${g.id.padEnd(idW)}  ${titles[i]!.padEnd(titleW)} : ${paint(c, g.status, label)}${statusDetail(g)}`);
  });
  if (d.requirements.length) {
    lines.push(RULE, '  REQUIREMENTS');
    const rW = Math.max(...d.requirements.map((r) => r.id.length));
    const tW = Math.max(...d.requirements.map((r) => (r.title === r.id ? 0 : r.title.length)));
    for (const r of d.requirements) {
      const label = r.status === 'pass' ? 'PASS' : r.status.toUpperCase();
      lines.push(`  ${r.id.padEnd(rW)}  ${(r.title === r.id ? '' : r.title).padEnd(tW)} : ${paint(c, r.status, label)} (${requirementLine(r)})`);
    }
  }
  lines.push(RULE, `  RESULT: ${paint(c, d.result, `RELEASE ${d.result}`)}${d.interrupted ? ' (interrupted)' : ''}${d.partial ? ' (partial run)' : ''}`, RULE);
  if (d.publish) {
    const p = d.publish;
    const label = p.status === 'done' ? c.green('PUBLISHED') : p.status === 'failed' ? c.red('PUBLISH FAILED') : c.yellow('NOT PUBLISHED');
    lines.push(`  ${label}${p.steps.length ? ` (${p.steps.filter((x) => x.ok).length}/${p.steps.length} steps)` : ''}${p.reason ? `: ${p.reason}` : ''}`, RULE);
  }
  return lines.join('\n');
}

function checkLine(ch: Check): string {
  const mark = ch.ok ? '✓' : '✗';
  const exp = ch.expected ? `expected ${ch.expected}, got ${ch.actual}` : ch.actual;
  return `${mark} ${ch.check}: ${shorten(exp, 200)}`;
}

/** A message of several lines stays several lines: its first `max` lines, indented under the item. */
function block(message: string, indent: string, max = 5, width = 200): string[] {
  const lines = message.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || (i > 0 && i < all.length - 1));
  const shown = lines.slice(0, max).map((l) => `${indent}${l.length > width ? `${l.slice(0, width - 1)}…` : l}`);
  if (lines.length > max) shown.push(`${indent}… (${lines.length - max} more lines)`);
  return shown;
}

export function formatDiagnostics(decision: Decision, opts: { color?: boolean; logLines?: number } = {}): string {
  const d = printableDeep(decision);
  const c = createColors(opts.color ?? false);
  const out: string[] = [];
  for (const g of d.gates) {
    const plain = g.status === 'pass' && g.warnings.length === 0 && !g.counts?.quarantined;
    if (plain) continue;
    // The summary line already says why a gate was skipped; nothing more to diagnose.
    if (g.status === 'skip') continue;
    out.push('', c.bold(`--- ${g.id}${g.title !== g.id ? ` (${g.title})` : ''}: ${STATUS_LABEL[g.status]} ---`));
    const failedChecks = g.checks.filter((x) => !x.ok);
    if (g.reason && g.status !== 'pass' && failedChecks.length === 0) out.push(`  ${g.reason}`);
    if (g.ranWithout?.length && g.status !== 'pass') out.push(`  ran without: ${g.ranWithout.join(', ')}`);
    if (g.status !== 'pending') {
      for (const ch of failedChecks) {
        out.push(`  ${checkLine(ch)}`);
        if (ch.message) out.push(...block(ch.message, '      ', 3));
      }
    }
    const failing = g.failingTests;
    if (failing.length) {
      out.push(`  failing tests (${failing.length}):`);
      for (const t of failing.slice(0, 20)) {
        out.push(`    ${t.quarantined ? 'QUARANTINED ' : '✗ '}${t.id} [${t.status}]`);
        if (t.message) out.push(...block(t.message, '        '));
      }
      if (failing.length > 20) out.push(`    … and ${failing.length - 20} more`);
    }
    if (g.findings?.length) {
      out.push(`  findings (${g.findingsTotal ?? g.findings.length}):`);
      for (const f of g.findings) {
        const where = f.file ? `${f.file}${f.line !== undefined ? `:${f.line}` : ''}` : '(no location)';
        out.push(`    ${f.level.toUpperCase()} ${f.rule}${f.new ? ' (new)' : ''} ${where} — ${shorten(f.message, 160)}`);
      }
      const more = (g.findingsTotal ?? 0) - g.findings.length;
      if (more > 0) out.push(`    … and ${more} more`);
    }
    for (const w of g.warnings) out.push(`  ! ${w}`);
    if (g.status === 'pending') {
      // Approvals that were recorded but do not count say why, one by one.
      for (const x of g.checks.filter((c) => c.check === 'approval' && !c.ok)) out.push(`  ✗ ${shorten(x.actual, 300)}`);
      const manual = g.checks.filter((x) => x.check.startsWith('checklist: '));
      if (manual.length) out.push('  checklist:', ...manual.map((x) => `    [ ] ${x.check.slice('checklist: '.length)}`));
      if (g.approveCommand) out.push(`  approve with: ${g.approveCommand}`);
    }
    const tail = g.logTail?.slice(-(opts.logLines ?? 20)) ?? [];
    if (tail.length && g.status !== 'pass') {
      out.push(`  last ${tail.length} lines of ${g.logPath ?? 'the log'}:`);
      for (const l of tail) out.push(`    │ ${l}`);
    }
  }
  for (const r of d.requirements.filter((x) => x.status !== 'pass')) {
    out.push('', c.bold(`--- requirement ${r.id}${r.title !== r.id ? ` (${r.title})` : ''}: ${r.status.toUpperCase()} ---`));
    for (const p of r.unmatched) out.push(`  ✗ ${p}: no test of this run matches`);
    for (const t of r.failed) out.push(`  ✗ ${t.id} (${t.gate}) ${t.status}${t.message ? ` — ${shorten(t.message, 160)}` : ''}`);
    for (const t of r.notRun) out.push(`  ✗ ${t.id} (${t.gate}) did not run`);
    for (const t of r.unproven) out.push(`  ✗ ${t.id} (${t.gate}) ${t.reason}`);
  }
  if (d.blockers.length) {
    out.push('', c.bold('Blocked because:'));
    for (const b of d.blockers) out.push(`  - ${b}`);
  }
  if (d.warnings.length) {
    out.push('', c.bold('Warnings:'));
    for (const w of d.warnings) out.push(`  - ${w}`);
  }
  out.push('', `Run ${d.runId} in ${formatDuration(d.durationMs)}; logs and decision.json in ${d.runDir}`);
  return out.join('\n');
}
