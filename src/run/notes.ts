/** Release notes in Markdown from one recorded run. Pure: everything it says comes in as data. */
import type { Decision } from '../model/types.js';
import { formatNumber } from '../config/units.js';
import { STATUS_LABEL, formatCounts } from '../model/labels.js';
import { printableDeep } from '../util/printable.js';

export interface MetricChange {
  name: string;
  value: number;
  unit?: string;
  baseline?: number;
  changePct?: number;
  samples: number;
}

export interface NotesInput {
  decision: Decision;
  previous?: { runId: string; version: string; commit: string | null };
  /** Subjects of the commits since the previous READY run; undefined when the range is unknown. */
  commits?: string[];
  approvals: { gate: string; by: string; at: string; evidence?: string; note?: string }[];
  metrics: MetricChange[];
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function formatNotes(input: NotesInput): string {
  // Notes land in files, pull requests and chat: no control character from a gate goes with them.
  const n = printableDeep(input);
  const d = n.decision;
  const out: string[] = [];
  out.push(`# ${d.project} ${d.version}`, '');
  out.push(`**Release gate: ${d.result === 'READY' ? 'RELEASE READY' : 'RELEASE BLOCKED'}** — run \`${d.runId}\`, commit \`${d.commit ? d.commit.slice(0, 12) : 'unknown'}\`${d.branch ? ` on \`${d.branch}\`` : ''}, ${d.startedAt.slice(0, 10)}.`, '');
  if (d.partial) out.push(`**PARTIAL RUN** (${d.selection ?? 'gates left out'}): not every gate ran; this is not a release.`, '');
  if (d.tree?.dirty) out.push(`**Uncommitted changes**: ${d.tree.files} file${d.tree.files === 1 ? '' : 's'} differed from the commit when this ran.`, '');
  if (d.blockers.length) out.push('Blocked because:', ...d.blockers.map((b) => `- ${b}`), '');

  out.push('## Gates', '', '| Gate | Result | Tests |', '| --- | --- | --- |');
  for (const g of d.gates) out.push(`| ${esc(g.title === g.id ? g.id : `${g.id} — ${g.title}`)} | ${STATUS_LABEL[g.status]}${g.reason && g.status !== 'pass' ? ` (${esc(g.reason)})` : ''} | ${formatCounts(g.counts) || '—'} |`);
  out.push('');

  if (d.requirements.length) {
    out.push('## Requirements', '', '| Requirement | Result | Evidence |', '| --- | --- | --- |');
    for (const r of d.requirements) {
      out.push(`| ${esc(r.title)} | ${r.status.toUpperCase()} | ${esc(r.evidence.map((e) => `${e.gate}: ${e.passed}/${e.tests}`).join(', ') || 'no matching tests')} |`);
    }
    out.push('');
  }

  const quarantined = d.gates.flatMap((g) => g.failingTests.filter((t) => t.quarantined).map((t) => `${t.id} (${g.id})`));
  const flakyNotes = d.gates.flatMap((g) => g.warnings.filter((w) => w.startsWith('newly flaky')).map((w) => `${w} — ${g.id}`));
  const flakyCount = d.gates.reduce((s, g) => s + (g.counts?.flaky ?? 0), 0);
  if (quarantined.length || flakyNotes.length || flakyCount) {
    out.push('## Flaky and quarantined tests', '');
    if (flakyCount) out.push(`- ${flakyCount} test${flakyCount > 1 ? 's' : ''} passed only after a rerun or retry.`);
    for (const f of flakyNotes) out.push(`- ${f}`);
    for (const q of quarantined) out.push(`- QUARANTINED, failed without blocking: ${q}`);
    out.push('');
  }

  if (n.metrics.length) {
    out.push('## Metrics', '', '| Metric | Value | Baseline | Change |', '| --- | --- | --- | --- |');
    for (const m of n.metrics) {
      const unit = m.unit ? ` ${m.unit}` : '';
      const change = m.changePct === undefined ? '—' : `${m.changePct >= 0 ? '+' : ''}${m.changePct.toFixed(1)}%`;
      out.push(`| ${esc(m.name)} | ${formatNumber(m.value)}${unit} | ${m.baseline === undefined ? `no baseline (${m.samples} run${m.samples === 1 ? '' : 's'})` : `${formatNumber(m.baseline)}${unit}`} | ${change} |`);
    }
    out.push('');
  }

  if (n.approvals.length) {
    out.push('## Sign-offs', '');
    for (const a of n.approvals) out.push(`- **${a.gate}** approved by ${a.by} on ${a.at.slice(0, 10)}${a.evidence ? ` — evidence: ${a.evidence}` : ''}${a.note ? ` — ${a.note}` : ''}`);
    out.push('');
  }

  out.push('## Changes', '');
  if (!n.previous) out.push('First READY release of an earlier commit not found: no range to compare with.');
  else if (n.commits === undefined) out.push(`Since ${n.previous.version}: the commit range could not be read from git.`);
  else if (n.commits.length === 0) out.push(`No commits since ${n.previous.version}.`);
  else {
    out.push(`Since ${n.previous.version} (\`${n.previous.commit?.slice(0, 12) ?? '?'}\`):`, '');
    for (const c of n.commits) out.push(`- ${c}`);
  }
  out.push('');
  return out.join('\n');
}
