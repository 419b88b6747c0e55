/**
 * The pages: server-rendered from the same view data the JSON API returns (views.ts), through the
 * escaping template only. No inline script or style (the CSP forbids both): behaviour is in
 * /static/app.js, which reads its inputs from data- attributes and fetches the API for charts.
 */
import type { RunSummary } from '../store/store.js';
import { formatBytes } from '../util/size-format.js';
import { formatDuration } from '../util/duration-format.js';
import { type Html, href, html } from './html.js';
import type { DeliveryView, FlakyView, ReleasesView, RunView, RunsView, TestView, TrendsView } from './views.js';

const NAV = [
  ['/', 'Runs'],
  ['/trends', 'Trends'],
  ['/flaky', 'Tests'],
  ['/delivery', 'Delivery'],
  ['/releases', 'Releases'],
] as const;

export function layout(title: string, project: string, active: string, body: Html, opts: { charts?: boolean } = {}): string {
  const nav = NAV.map(([path, label]) => html`<a href="${href(path, { project })}" class="${path === active ? 'active' : ''}">${label}</a>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} &middot; shipgate</title>
<link rel="stylesheet" href="/static/app.css">
${opts.charts ? html`<link rel="stylesheet" href="/static/uplot.css"><script src="/static/uplot.js" defer></script>` : ''}
<script src="/static/app.js" defer></script>
</head>
<body>
<header><strong>shipgate</strong> <span class="project">${project}</span><nav>${nav}</nav></header>
<main>
${body}
</main>
</body>
</html>
`.text;
}

function time(iso: string | null): string {
  return iso ? iso.replace('T', ' ').slice(0, 19) : '-';
}

function dur(ms: number | null): string {
  return ms === null ? '-' : formatDuration(ms);
}

function decisionBadge(r: Pick<RunSummary, 'result' | 'state'>): Html {
  const label = r.state === 'finished' ? (r.result ?? '-') : r.state.toUpperCase();
  const cls = r.state !== 'finished' ? 'warn' : r.result === 'READY' ? 'ok' : 'bad';
  return html`<span class="badge ${cls}">${label}</span>`;
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 12) : '-';
}

export function runsPage(v: RunsView): string {
  const opt = (value: string, current: string | null, label = value) => html`<option value="${value}" ${value === (current ?? '') ? html`selected` : ''}>${label}</option>`;
  const rows = v.runs.map(
    (r) => html`<tr data-run="${r.id}">
<td><a class="run-link" href="${href(`/runs/${encodeURIComponent(r.id)}`, { project: v.project })}">${r.id}</a></td>
<td>${time(r.startedAt)}</td><td>${r.version}</td><td>${short(r.commit)}</td><td>${r.branch ?? '-'}</td>
<td>${decisionBadge(r)}</td><td>${[r.partial ? 'PARTIAL' : '', r.dirty ? `DIRTY (${r.dirtyFiles ?? '?'} files)` : ''].filter(Boolean).join(', ') || '-'}</td>
<td>${dur(r.durationMs)}</td><td>${r.retries}</td></tr>`,
  );
  const body = html`<h1>Runs</h1>
<form method="get" action="/" class="filters">
<label>Project <select name="project">${v.projects.map((p) => opt(p, v.project))}</select></label>
<label>Branch <select name="branch">${opt('', v.filter.branch, 'any')}${v.branches.map((b) => opt(b, v.filter.branch))}</select></label>
<label>Decision <select name="decision">${opt('', v.filter.decision, 'any')}${opt('READY', v.filter.decision)}${opt('BLOCKED', v.filter.decision)}</select></label>
<label>Version <input name="version" value="${v.filter.version ?? ''}" size="12"></label>
<button type="submit">Filter</button>
</form>
${
  v.runs.length === 0
    ? html`<p class="empty">No runs match. Record one with <code>shipgate run</code>.</p>`
    : html`<table class="runs"><thead><tr><th>Run</th><th>Started (UTC)</th><th>Version</th><th>Commit</th><th>Branch</th><th>Decision</th><th>Note</th><th>Duration</th><th>Retries</th></tr></thead><tbody>${rows}</tbody></table>`
}
${v.next ? html`<p><a href="${href('/', { project: v.project, branch: v.filter.branch, decision: v.filter.decision, version: v.filter.version, before: v.next })}">Older runs &rarr;</a></p>` : ''}
<p class="store">Store: ${v.store.kind}, ${formatBytes(v.store.bytes)}</p>`;
  return layout('Runs', v.project, '/', body);
}

export function runPage(v: RunView): string {
  const d = v.decision;
  const testLink = (id: string) => html`<a class="test-link" href="${href('/tests', { project: v.project, id })}">${id}</a>`;
  const gates = (d?.gates ?? []).map(
    (g) => html`<section class="gate" data-gate="${g.id}"><h3>${g.id} <span class="muted">${g.title}</span> <span class="badge ${g.status === 'pass' ? 'ok' : g.status === 'fail' ? 'bad' : 'warn'}">${g.status.toUpperCase()}</span></h3>
${g.reason ? html`<p>${g.reason}</p>` : ''}
${g.checks.length ? html`<table class="checks"><thead><tr><th>Check</th><th>Expected</th><th>Actual</th><th></th></tr></thead><tbody>${g.checks.map((c) => html`<tr class="${c.ok ? '' : 'failed'}"><td>${c.check}</td><td>${c.expected}</td><td>${c.actual}</td><td>${c.ok ? 'ok' : 'FAILED'}${c.message ? html` <span class="muted">${c.message}</span>` : ''}</td></tr>`)}</tbody></table>` : ''}
${g.failingTests.length ? html`<ul class="failing">${g.failingTests.map((t) => html`<li>${testLink(t.id)} <span class="muted">${t.status}${t.quarantined ? ', quarantined' : ''}</span>${t.message ? html`<pre>${t.message}</pre>` : ''}</li>`)}</ul>` : ''}
${g.warnings.length ? html`<ul class="warnings">${g.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
</section>`,
  );
  const reqs = d?.requirements ?? [];
  const body = html`<h1>Run ${v.run.id} ${decisionBadge(v.run)}</h1>
<p class="why" id="why">${v.why}</p>
<dl class="facts"><dt>Version</dt><dd>${v.run.version}</dd><dt>Commit</dt><dd>${v.run.commit ?? '-'}</dd><dt>Branch</dt><dd>${v.run.branch ?? '-'}</dd>
<dt>Started</dt><dd>${time(v.run.startedAt)}</dd><dt>Duration</dt><dd>${dur(v.run.durationMs)}</dd><dt>Host</dt><dd>${v.run.host}</dd><dt>Config</dt><dd>${v.run.configHash.slice(0, 12)}</dd>
${v.run.partial ? html`<dt>Partial</dt><dd>${v.run.selection ?? ''}</dd>` : ''}${v.run.dirty ? html`<dt>Tree</dt><dd>uncommitted changes (${v.run.dirtyFiles ?? '?'} files)</dd>` : ''}</dl>
${v.summary ? html`<h2>Summary</h2><pre class="summary">${v.summary}</pre>` : ''}
${v.diagnostics ? html`<h2>Diagnostics</h2><pre class="diagnostics">${v.diagnostics}</pre>` : ''}
<h2>Requirements</h2>
${reqs.length ? html`<table class="requirements"><thead><tr><th>Requirement</th><th>Status</th><th>Evidence</th><th>Failed</th><th>Not run</th><th>Unmatched</th></tr></thead><tbody>${reqs.map((r) => html`<tr><td>${r.id} <span class="muted">${r.title}</span></td><td>${r.status.toUpperCase()}</td><td>${r.evidence.map((e) => `${e.gate}: ${e.passed}/${e.tests}`).join(', ')}</td><td>${r.failed.map((f, i) => html`${i ? ', ' : ''}${testLink(f.id)}`)}</td><td>${r.notRun.map((n) => n.id).join(', ')}</td><td>${r.unmatched.join(', ')}</td></tr>`)}</tbody></table>` : html`<p class="empty">No requirements declared.</p>`}
<h2>Drift</h2>
${v.drift.length ? html`<table class="drift"><thead><tr><th>Gate</th><th>Check</th><th>Expected (baseline)</th><th>Actual</th><th>Verdict</th></tr></thead><tbody>${v.drift.map((r) => html`<tr class="${r.verdict === 'ok' ? '' : 'failed'}"><td>${r.gate}</td><td>${r.check}</td><td>${r.expected}</td><td>${r.actual}</td><td>${r.verdict.toUpperCase()}${r.message ? html` <span class="muted">${r.message}</span>` : ''}</td></tr>`)}</tbody></table>` : html`<p class="empty">No baseline checks in this run.</p>`}
<h2>Approvals</h2>
${v.approvals.length ? html`<table class="approvals"><thead><tr><th>Gate</th><th>By</th><th>At</th><th>Evidence</th><th>Note</th><th>Signed</th></tr></thead><tbody>${v.approvals.map((a) => html`<tr><td>${a.gate}</td><td>${a.by}</td><td>${time(a.at)}</td><td>${a.evidence ?? '-'}</td><td>${a.note ?? '-'}</td><td>${a.signature ? 'yes' : 'no'}</td></tr>`)}</tbody></table>` : html`<p class="empty">No approvals for this version and commit.</p>`}
<h2>Gates</h2>
${gates}
<h2>Logs</h2>
${v.logs.length ? html`<ul class="logs">${v.logs.map((l) => html`<li><a href="${href(`/runs/${encodeURIComponent(v.run.id)}/logs/${encodeURIComponent(l.name)}`, { project: v.project })}">${l.name}</a> <span class="muted">${formatBytes(l.bytes)}</span></li>`)}</ul>` : html`<p class="empty">The run folder is not on this machine.</p>`}`;
  return layout(`Run ${v.run.id}`, v.project, '/', body);
}

export function trendsPage(v: TrendsView): string {
  const api = href('/api/trends', { project: v.project, branch: v.branch });
  const body = html`<h1>Trends${v.branch ? html` on ${v.branch}` : ''}</h1>
<form method="get" action="/trends" class="filters"><input type="hidden" name="project" value="${v.project}">
<label>Branch <select name="branch"><option value="">any</option>${v.branches.map((b) => html`<option value="${b}" ${b === v.branch ? html`selected` : ''}>${b}</option>`)}</select></label><button type="submit">Show</button></form>
${v.runs.length === 0 ? html`<p class="empty">No finished runs yet.</p>` : ''}
<div id="charts" data-api="${api}"></div>
<h2>Runs plotted</h2>
<table class="trend-runs"><thead><tr><th>Run</th><th>Decision</th><th>Duration</th><th>Tests</th><th>Pass rate</th></tr></thead><tbody>
${v.runs.map((r) => html`<tr><td><a href="${href(`/runs/${encodeURIComponent(r.id)}`, { project: v.project })}">${r.id}</a></td><td>${decisionBadge(r)}</td><td>${dur(r.durationMs)}</td><td>${r.tests ? r.tests.total : '-'}</td><td>${r.tests && r.tests.total - r.tests.skipped > 0 ? `${((100 * r.tests.passed) / (r.tests.total - r.tests.skipped)).toFixed(1)}%` : '-'}</td></tr>`)}
</tbody></table>
<h2>Metrics and their baseline bands</h2>
${v.metrics.length ? html`<table class="metrics"><thead><tr><th>Metric</th><th>Median</th><th>Spread</th><th>Samples</th><th>Outside the band</th></tr></thead><tbody>${v.metrics.map((m) => html`<tr><td>${m.key}${m.unit ? ` (${m.unit})` : ''}</td><td>${m.band ? fmt(m.band.median) : '-'}</td><td>${m.band ? fmt(m.band.spread) : '-'}</td><td>${m.band ? m.band.samples : 'too few'}</td><td>${m.points.filter((p) => p.outside).map((p) => html`<a href="${href(`/runs/${encodeURIComponent(p.runId)}`, { project: v.project })}">${p.runId}</a> `)}</td></tr>`)}</tbody></table>` : html`<p class="empty">No metrics recorded.</p>`}`;
  return layout('Trends', v.project, '/trends', body, { charts: true });
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}

export function flakyPage(v: FlakyView): string {
  const testLink = (id: string) => (id.startsWith('#') ? html`<span title="never failed: the store keeps no name">${id}</span>` : html`<a class="test-link" href="${href('/tests', { project: v.project, id })}">${id}</a>`);
  const body = html`<h1>Flaky tests</h1>
<p class="muted">Over the last ${v.window} runs, ranked by impact: flip rate &times; runs affected.</p>
${v.flaky.length ? html`<table class="flaky"><thead><tr><th>Test</th><th>Impact</th><th>Flip rate</th><th>Runs affected</th><th>History (oldest &rarr; newest)</th><th>Quarantine</th><th>Last seen</th></tr></thead><tbody>${v.flaky.map((f) => html`<tr><td>${testLink(f.testId)}</td><td>${f.impact.toFixed(2)}</td><td>${(f.flipRate * 100).toFixed(0)}% (${f.flips} flips / ${f.runs} runs)</td><td>${f.affected}</td><td class="strip">${f.strip.map((s) => html`<span class="mark m${s.mark}" title="${s.runId}">${s.mark}</span>`)}</td><td>${f.quarantine ? html`${f.quarantine.expired ? 'expired' : 'quarantined'}${f.quarantine.until ? ` until ${f.quarantine.until}` : ''} <span class="muted">${f.quarantine.reason}</span>` : '-'}</td><td>${time(f.lastSeen)}</td></tr>`)}</tbody></table>` : html`<p class="empty">No flaky tests in the last ${v.window} runs.</p>`}
<h2>Most failing</h2>
${v.mostFailing.length ? html`<table class="most-failing"><thead><tr><th>Test</th><th>Failures</th><th>Last failed</th></tr></thead><tbody>${v.mostFailing.map((t) => html`<tr><td>${testLink(t.testId)}</td><td>${t.failures} in the last ${t.runs} runs</td><td>${t.lastFailedRunId ? html`<a href="${href(`/runs/${encodeURIComponent(t.lastFailedRunId)}`, { project: v.project })}">${time(t.lastFailedAt)}</a>` : '-'}</td></tr>`)}</tbody></table>` : html`<p class="empty">No test failed in the last ${v.window} runs.</p>`}
<h2>Slowest${v.slowest.runId ? html` in run <a href="${href(`/runs/${encodeURIComponent(v.slowest.runId)}`, { project: v.project })}">${v.slowest.runId}</a>` : ''}</h2>
${v.slowest.tests.length ? html`<table class="slowest"><thead><tr><th>Test</th><th>Gate</th><th>Duration</th><th>Status</th></tr></thead><tbody>${v.slowest.tests.map((t) => html`<tr><td>${testLink(t.testId)}</td><td>${t.gate}</td><td>${dur(t.durationMs)}</td><td>${t.status}</td></tr>`)}</tbody></table>
<p class="muted">Tests shown as #number never failed: the store keeps names only for tests that failed or flaked.</p>` : html`<p class="empty">No test durations recorded.</p>`}`;
  return layout('Tests', v.project, '/flaky', body);
}

export function testPage(v: TestView): string {
  const body = html`<h1>Test <code id="test-id">${v.testId}</code></h1>
${v.quarantine ? html`<p class="warn">${v.quarantine.expired ? 'Quarantine expired' : 'Quarantined'}${v.quarantine.until ? ` (until ${v.quarantine.until})` : ''}: ${v.quarantine.reason}</p>` : ''}
<p class="muted">Runs it ran in, among the last ${v.window} (newest first).</p>
${v.runs.length ? html`<p class="strip">${[...v.runs].reverse().map((r) => html`<span class="mark m${r.flaky ? 'R' : r.status === 'passed' ? 'P' : r.status === 'failed' ? 'F' : r.status === 'error' ? 'E' : 'S'}" title="${r.runId}">${r.flaky ? 'R' : r.status[0]!.toUpperCase()}</span>`)}</p>
<table class="test-runs"><thead><tr><th>Run</th><th>Started</th><th>Gate</th><th>Status</th><th>Duration</th><th>Attempts</th><th>Message</th></tr></thead><tbody>${v.runs.map((r) => html`<tr><td><a href="${href(`/runs/${encodeURIComponent(r.runId)}`, { project: v.project })}">${r.runId}</a></td><td>${time(r.startedAt)}</td><td>${r.gate}</td><td class="status">${r.status}${r.flaky ? ' (flaky)' : ''}</td><td>${dur(r.durationMs)}</td><td>${r.attempts}</td><td>${r.message ? html`<pre>${r.message}</pre>` : ''}</td></tr>`)}</tbody></table>` : html`<p class="empty">This test did not run in the last ${v.window} runs.</p>`}`;
  return layout('Test', v.project, '/flaky', body);
}

export function deliveryPage(v: DeliveryView): string {
  const body = html`<h1>Delivery</h1>
<p class="muted">Time to detect: commit time &rarr; first BLOCKED run that caught it. Time to recover: that run's end &rarr; the next READY run's end on the branch. Over the last ${v.window} runs; partial and dirty runs do not count.</p>
${v.unknownCommitTimes ? html`<p class="warn">${v.unknownCommitTimes} blocking commit(s) are not in a git checkout here: their time to detect is unknown and left out of the means.</p>` : ''}
${v.weeks.length ? html`<table class="weeks"><thead><tr><th>Week of</th><th>Incidents</th><th>MTTD</th><th>MTTR</th><th>Still open</th></tr></thead><tbody>${v.weeks.map((w) => html`<tr><td>${w.week}</td><td>${w.incidents}</td><td>${dur(w.mttdMs)}</td><td>${dur(w.mttrMs)}</td><td>${w.open}</td></tr>`)}</tbody></table>` : html`<p class="empty">No BLOCKED run after a READY one yet: nothing to detect or recover from.</p>`}
<h2>Incidents</h2>
${v.incidents.length ? html`<table class="incidents"><thead><tr><th>Branch</th><th>Blocked run</th><th>Commit</th><th>Time to detect</th><th>Recovered by</th><th>Time to recover</th></tr></thead><tbody>${[...v.incidents].reverse().map((i) => html`<tr><td>${i.branch}</td><td><a href="${href(`/runs/${encodeURIComponent(i.blockedRunId)}`, { project: v.project })}">${i.blockedRunId}</a></td><td>${short(i.commit)}</td><td>${i.detectMs === null ? 'unknown' : dur(i.detectMs)}</td><td>${i.recoveredRunId ? html`<a href="${href(`/runs/${encodeURIComponent(i.recoveredRunId)}`, { project: v.project })}">${i.recoveredRunId}</a>` : 'still blocked'}</td><td>${dur(i.recoverMs)}</td></tr>`)}</tbody></table>` : ''}
<h2>Retry rate per gate</h2>
${v.retryRates.length ? html`<table class="retries"><thead><tr><th>Gate</th><th>Retried</th><th>Rate</th></tr></thead><tbody>${v.retryRates.map((r) => html`<tr><td>${r.gate}</td><td>${r.retried}/${r.runs} runs</td><td>${(r.rate * 100).toFixed(0)}%</td></tr>`)}</tbody></table>` : html`<p class="empty">No gate results yet.</p>`}`;
  return layout('Delivery', v.project, '/delivery', body);
}

export function releasesPage(v: ReleasesView): string {
  const body = html`<h1>Releases</h1>
<h2>Last good per branch</h2>
${v.lastGood.length ? html`<table class="last-good"><thead><tr><th>Branch</th><th>Version</th><th>Commit</th><th>Run</th><th>At</th></tr></thead><tbody>${v.lastGood.map((l) => html`<tr><td>${l.branch}</td>${l.run ? html`<td>${l.run.version}</td><td>${short(l.run.commit)}</td><td><a href="${href(`/runs/${encodeURIComponent(l.run.id)}`, { project: v.project })}">${l.run.id}</a></td><td>${time(l.run.startedAt)}</td>` : html`<td colspan="4">no READY, full, clean run</td>`}</tr>`)}</tbody></table>` : html`<p class="empty">No runs yet.</p>`}
<h2>Rollbacks and publishes</h2>
${v.actions.length ? html`<table class="actions"><thead><tr><th>Kind</th><th>By</th><th>From</th><th>To</th><th>Result</th><th>Started</th><th>Duration</th></tr></thead><tbody>${v.actions.map((a) => html`<tr><td>${a.kind}</td><td>${a.by}</td><td>${a.fromVersion ?? '-'}</td><td>${a.toVersion}${a.forced ? ' (forced)' : ''}</td><td>${a.result.toUpperCase()}</td><td>${time(a.startedAt)}</td><td>${dur(a.durationMs)}</td></tr>`)}</tbody></table>` : html`<p class="empty">No rollbacks or publishes recorded.</p>`}`;
  return layout('Releases', v.project, '/releases', body);
}

export function errorPage(status: number, code: string, message: string, project: string): string {
  return layout(`Error ${status}`, project, '', html`<h1>Error ${status}</h1><p class="error"><code>${code}</code> ${message}</p>`);
}
