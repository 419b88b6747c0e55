/**
 * The decision as one self-contained HTML file (`--report html=report.html`) that opens in a
 * browser from disk, with no server and no network: the summary, the diagnostics of every gate
 * that is not a plain pass, the requirements and the drift against the baseline.
 *
 * Every string is HTML-escaped. There is no script at all (sections fold with `<details>`), and
 * a Content-Security-Policy meta tag allows nothing but the one inline stylesheet (by its hash):
 * no scripts, images, frames, fonts, forms or connections, even if a string ever slipped through.
 */
import { createHash } from 'node:crypto';
import type { Decision, GateVerdict } from '../decide/types.js';
import { formatDuration } from '../util/duration-format.js';
import { printable } from '../util/printable.js';
import { escapeHtml } from './escape.js';
import { STATUS_LABEL, formatCounts } from './summary.js';
import { blocksRelease, driftRows, versionLabel } from './view.js';

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --dim: #6e7781; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h1.ready { color: var(--ok); } h1.blocked { color: var(--bad); }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; }
td.s-pass { color: var(--ok); font-weight: 600; } td.s-fail, td.s-cancelled, td.s-not-run { color: var(--bad); font-weight: 600; }
td.s-warn, td.s-pending { color: var(--warn); font-weight: 600; } td.s-skip, td.s-info { color: var(--dim); }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: rgba(127,127,127,.12); padding: .5rem .75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: .25rem 0 .5rem; }
.facts { color: var(--dim); } .notice { border-left: 4px solid var(--warn); padding: .25rem .75rem; }
details { margin: .2rem 0; } summary { cursor: pointer; }
ul { padding-left: 1.25rem; }
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
export const HTML_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'none'; script-src 'none'; connect-src 'none'; font-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'`;

/** Escaped single-line text. */
const t = (s: string) => escapeHtml(printable(s));
/** Escaped text that keeps its lines (in a `<pre>`). */
const block = (s: string) => `<pre>${escapeHtml(printable(s, { multiline: true }))}</pre>`;
const code = (s: string) => `<code>${t(s)}</code>`;

function table(head: string[], rows: string[][]): string {
  if (!rows.length) return '';
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

function gateDiagnostics(g: GateVerdict): string {
  const parts: string[] = [];
  const failed = g.checks.filter((c) => !c.ok);
  if (g.reason && g.status !== 'pass') parts.push(`<p>${t(g.reason)}</p>`);
  if (g.ranWithout?.length) parts.push(`<p>ran without: ${g.ranWithout.map(code).join(', ')}</p>`);
  if (failed.length) {
    parts.push(
      table(
        ['check', 'expected', 'got', 'why'],
        failed.map((c) => [`<td>${code(c.check)}</td>`, `<td>${t(c.expected)}</td>`, `<td>${t(c.actual)}</td>`, `<td>${c.message ? t(c.message) : ''}</td>`]),
      ),
    );
  }
  if (g.failingTests.length) {
    const shown = g.failingTests.slice(0, 1000);
    parts.push(`<h3>failing tests (${g.failingTests.length})</h3>`);
    parts.push(
      shown
        .map((x) => {
          const label = `${x.quarantined ? 'QUARANTINED ' : ''}${code(x.id)} [${t(x.status)}]`;
          return x.message ? `<details><summary>${label}</summary>${block(x.message)}</details>` : `<div>${label}</div>`;
        })
        .join('\n'),
    );
    if (g.failingTests.length > shown.length) parts.push(`<p>… and ${g.failingTests.length - shown.length} more (see decision.json)</p>`);
  }
  if (g.findings?.length) {
    parts.push(`<h3>findings (${g.findingsTotal ?? g.findings.length})</h3>`);
    parts.push(
      table(
        ['level', 'rule', 'location', 'message'],
        g.findings.map((f) => [`<td>${t(f.level.toUpperCase())}${f.new ? ' (new)' : ''}</td>`, `<td>${code(`${f.tool} ${f.rule}`)}</td>`, `<td>${f.file ? code(`${f.file}${f.line !== undefined ? `:${f.line}` : ''}`) : '(no location)'}</td>`, `<td>${t(f.message)}</td>`]),
      ),
    );
    const more = (g.findingsTotal ?? 0) - g.findings.length;
    if (more > 0) parts.push(`<p>… and ${more} more</p>`);
  }
  if (g.warnings.length) parts.push(`<ul>${g.warnings.map((w) => `<li>${t(w)}</li>`).join('')}</ul>`);
  if (g.status === 'pending') {
    const checklist = g.checks.filter((c) => c.check.startsWith('checklist: '));
    if (checklist.length) parts.push(`<ul>${checklist.map((c) => `<li>☐ ${t(c.check.slice('checklist: '.length))}</li>`).join('')}</ul>`);
    if (g.approveCommand) parts.push(`<p>approve with: ${code(g.approveCommand)}</p>`);
  }
  if (g.logTail?.length && g.status !== 'pass') parts.push(`<details${blocksRelease(g) ? ' open' : ''}><summary>last ${g.logTail.length} lines of ${code(g.logPath ?? 'the log')}</summary>${block(g.logTail.join('\n'))}</details>`);
  return parts.join('\n');
}

export function formatHtml(d: Decision): string {
  const ready = d.result === 'READY';
  const title = `${ready ? 'RELEASE READY' : 'RELEASE BLOCKED'} — ${d.project} ${versionLabel(d.version)}`;
  const body: string[] = [];
  body.push(`<header><h1 class="${ready ? 'ready' : 'blocked'}" id="result">${t(title)}</h1>`);
  body.push(`<p class="facts">run ${code(d.runId)} · ${d.commit ? `commit ${code(d.commit.slice(0, 12))}` : 'no commit'}${d.branch ? ` · branch ${code(d.branch)}` : ''} · ${t(d.startedAt)} · ${t(formatDuration(d.durationMs))} · ${d.ci ? 'CI' : 'local'}</p></header>`);
  if (d.interrupted) body.push('<p class="notice"><strong>INTERRUPTED</strong>: the run was stopped before every gate finished.</p>');
  if (d.partial) body.push(`<p class="notice"><strong>PARTIAL RUN</strong> (${code(d.selection ?? 'gates left out')}): not every gate ran; never last-good nor a baseline.</p>`);
  if (d.tree?.dirty) body.push(`<p class="notice"><strong>UNCOMMITTED CHANGES</strong>: ${d.tree.files} file${d.tree.files === 1 ? '' : 's'} differed from the commit.</p>`);

  body.push('<section id="summary"><h2>Summary</h2>');
  body.push(
    table(
      ['gate', 'title', 'result', 'tests', 'time', 'detail'],
      d.gates.map((g) => [
        `<td>${code(g.id)}</td>`,
        `<td>${g.title === g.id ? '' : t(g.title)}</td>`,
        `<td class="s-${g.status}">${STATUS_LABEL[g.status]}${g.severity !== 'block' ? ` (${g.severity})` : ''}</td>`,
        `<td>${t(formatCounts(g.counts))}</td>`,
        `<td>${g.status === 'skip' || g.status === 'not-run' ? '' : t(formatDuration(g.durationMs))}</td>`,
        `<td>${g.status !== 'pass' && g.reason ? t(g.reason) : g.warnings.length ? `${g.warnings.length} warning(s)` : ''}</td>`,
      ]),
    ),
  );
  if (d.blockers.length) body.push(`<h3>Blocked because</h3><ul>${d.blockers.map((b) => `<li>${t(b)}</li>`).join('')}</ul>`);
  if (d.warnings.length) body.push(`<h3>Warnings</h3><ul>${d.warnings.map((w) => `<li>${t(w)}</li>`).join('')}</ul>`);
  body.push('</section>');

  const diag = d.gates.filter((g) => g.status !== 'skip' && !(g.status === 'pass' && g.warnings.length === 0 && !g.counts?.quarantined));
  body.push('<section id="diagnostics"><h2>Diagnostics</h2>');
  if (!diag.length) body.push('<p>Every gate passed with nothing to report.</p>');
  for (const g of diag) {
    body.push(`<details class="gate" id="gate-${t(g.id)}"${blocksRelease(g) ? ' open' : ''}><summary><strong>${code(g.id)}</strong>${g.title !== g.id ? ` ${t(g.title)}` : ''}: ${STATUS_LABEL[g.status]}</summary>`);
    body.push(gateDiagnostics(g), '</details>');
  }
  body.push('</section>');

  body.push('<section id="requirements"><h2>Requirements</h2>');
  if (!d.requirements.length) body.push('<p>No requirements are configured.</p>');
  body.push(
    table(
      ['requirement', 'result', 'evidence', 'problems'],
      d.requirements.map((r) => [
        `<td>${code(r.id)}${r.title !== r.id ? ` ${t(r.title)}` : ''}</td>`,
        `<td class="s-${r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'fail' : r.status}">${r.status.toUpperCase()}</td>`,
        `<td>${r.evidence.map((e) => `${code(e.gate)} ${e.passed}/${e.tests}`).join(', ') || 'no matching tests'}</td>`,
        `<td>${[
          ...r.unmatched.map((p) => `${code(p)} matched no test`),
          ...r.failed.map((x) => `${code(x.id)} ${t(x.status)}${x.message ? ` — ${t(x.message.split('\n')[0] ?? '')}` : ''}`),
          ...r.notRun.map((x) => `${code(x.id)} did not run`),
          ...r.unproven.map((x) => `${code(x.id)} ${t(x.reason)}`),
        ].join('<br>')}</td>`,
      ]),
    ),
  );
  body.push('</section>');

  const drift = driftRows(d);
  body.push('<section id="drift"><h2>Drift against the baseline</h2>');
  if (!drift.length) body.push('<p>No check compares with a baseline.</p>');
  body.push(
    table(
      ['gate', 'check', 'value', 'expected', 'verdict', 'baseline'],
      drift.map((r) => [`<td>${code(r.gate)}</td>`, `<td>${code(r.check)}</td>`, `<td>${t(r.actual)}</td>`, `<td>${t(r.expected)}</td>`, `<td class="s-${r.verdict === 'ok' ? 'pass' : r.verdict}">${r.verdict}</td>`, `<td>${t(r.message ?? '')}</td>`]),
    ),
  );
  body.push('</section>');

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${t(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    `<footer class="facts"><p>shipgate · decision.json in ${code(d.runDir)}</p></footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
