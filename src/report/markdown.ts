/**
 * The decision as GitHub-flavoured Markdown: the GitHub job summary, the Buildkite annotation, the
 * Azure build summary, the pull-request comment and `--report markdown` all use it. Rendered to a
 * byte budget: every item (a table row, a failing test) is added whole or not at all, and what did
 * not fit is counted at the end ("… and N more"), so the document is never cut in the middle.
 *
 * Untrusted text is escaped for Markdown and wrapped in `<code>`/`<pre>` (see escape.ts): a test
 * named `<img src=x onerror=alert(1)>`, `[click](http://evil)` or `@org/team` shows as text.
 */
import type { Decision, GateVerdict } from '../decide/types.js';
import { formatDuration } from '../util/duration-format.js';
import { escapeMarkdown, mdCode, mdPre } from './escape.js';
import { STATUS_LABEL, formatCounts } from './summary.js';
import { blocksRelease, driftRows, versionLabel } from './view.js';

export interface MarkdownOptions {
  /** At most this many bytes (UTF-8). Default: no limit. */
  budget?: number;
  /** A shorter document (pull-request comments, chat): no failing-test messages, no log tails. */
  compact?: boolean;
  /** A line about annotations that did not fit the CI's limits. */
  annotationsOmitted?: { error: number; warning: number };
  /** An HTML comment that identifies the document (to update a pull-request comment in place). */
  marker?: string;
  /** Failing tests listed per gate, at most (default 1000; the budget may stop earlier). */
  testsPerGate?: number;
}

const ICON: Record<GateVerdict['status'], string> = {
  pass: '✅',
  fail: '❌',
  warn: '⚠️',
  info: 'ℹ️',
  skip: '⏭️',
  'not-run': '⛔',
  pending: '⏳',
  cancelled: '🛑',
};

/** Bytes of the footer and "N more" lines kept free until the end. */
const RESERVE = 2048;

class Doc {
  private readonly parts: string[] = [];
  private used = 0;
  readonly omitted = new Map<string, number>();
  constructor(private readonly limit: number) {}

  get size(): number {
    return this.used;
  }

  /** Add a block (with its trailing newline) if it fits below the limit less the reserve. */
  add(text: string): boolean {
    const s = `${text}\n`;
    const n = Buffer.byteLength(s);
    if (this.used + n > this.limit - RESERVE) return false;
    this.parts.push(s);
    this.used += n;
    return true;
  }

  /** Count something left out. */
  skip(what: string, n = 1): void {
    if (n > 0) this.omitted.set(what, (this.omitted.get(what) ?? 0) + n);
  }

  /** Add a list section: its heading only if the first item fits too; the rest counted. */
  section(heading: string[], items: Iterable<string>, what: string, total?: number): void {
    let headed = false;
    let added = 0;
    let seen = 0;
    for (const item of items) {
      seen++;
      if (!headed) {
        if (!this.fits([...heading, item].join('\n'))) {
          this.skip(what, 1);
          continue;
        }
        this.add(heading.join('\n'));
        headed = true;
      }
      if (this.add(item)) added++;
      else this.skip(what);
    }
    if (total !== undefined && total > seen) this.skip(what, total - seen);
    if (headed) this.add('');
    void added;
  }

  fits(text: string): boolean {
    return this.used + Buffer.byteLength(`${text}\n`) <= this.limit - RESERVE;
  }

  /** The closing lines, which the reserve keeps room for. */
  finish(lines: string[]): string {
    let tail = `${lines.join('\n')}\n`;
    if (this.used + Buffer.byteLength(tail) > this.limit) tail = '';
    return this.parts.join('') + tail;
  }
}

function gateCell(g: GateVerdict): string {
  return g.title === g.id ? mdCode(g.id) : `${mdCode(g.id)} ${escapeMarkdown(g.title)}`;
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The first lines of a message, bounded: a 10,000-line stack trace is not a summary. */
function excerpt(message: string, lines = 20, chars = 4000): string {
  const all = message.replace(/\r\n?/g, '\n').split('\n');
  let text = all.slice(0, lines).join('\n');
  if (text.length > chars) text = `${text.slice(0, chars)}…`;
  if (all.length > lines) text += `\n… (${all.length - lines} more lines)`;
  return text;
}

export function formatMarkdown(d: Decision, opts: MarkdownOptions = {}): string {
  const doc = new Doc(opts.budget ?? Number.MAX_SAFE_INTEGER);
  const ready = d.result === 'READY';
  if (opts.marker) doc.add(`<!-- ${opts.marker} -->`);
  doc.add(`## ${ready ? '✅ RELEASE READY' : '⛔ RELEASE BLOCKED'} — ${escapeMarkdown(d.project)} ${mdCode(versionLabel(d.version))}`);
  doc.add('');
  const facts = [
    `run ${mdCode(d.runId)}`,
    d.commit ? `commit ${mdCode(d.commit.slice(0, 12))}` : 'no commit',
    ...(d.branch ? [`branch ${mdCode(d.branch)}`] : []),
    formatDuration(d.durationMs),
    ...(d.ci ? ['CI'] : ['local']),
  ];
  doc.add(facts.join(' · '));
  doc.add('');
  if (d.interrupted) doc.add('> **INTERRUPTED**: the run was stopped before every gate finished.\n');
  if (d.partial) doc.add(`> **PARTIAL RUN** (${mdCode(d.selection ?? 'gates left out')}): not every gate ran; never last-good nor a baseline.\n`);
  if (d.tree?.dirty) doc.add(`> **UNCOMMITTED CHANGES**: ${d.tree.files} file${d.tree.files === 1 ? '' : 's'} differed from the commit.\n`);

  // The decision table.
  doc.section(
    ['| | Gate | Result | Tests | Time | Detail |', '| --- | --- | --- | --- | --- | --- |'],
    (function* () {
      for (const g of d.gates) {
        const detail = g.status === 'pass' ? (g.warnings.length ? `${g.warnings.length} warning${g.warnings.length > 1 ? 's' : ''}` : '') : g.reason ? escapeMarkdown(shorten(g.reason, 300)) : '';
        const time = g.status === 'skip' || g.status === 'not-run' ? '' : formatDuration(g.durationMs);
        yield `| ${ICON[g.status]} | ${gateCell(g)} | **${STATUS_LABEL[g.status]}**${g.severity !== 'block' ? ` (${g.severity})` : ''} | ${escapeMarkdown(formatCounts(g.counts))} | ${time} | ${detail} |`;
      }
    })(),
    'gates',
  );

  if (d.blockers.length) doc.section(['### Blocked because', ''], d.blockers.map((b) => `- ${escapeMarkdown(shorten(b, 1000))}`), 'blockers');

  if (d.requirements.length) {
    doc.section(
      ['### Requirements', '', '| Requirement | Result | Evidence |', '| --- | --- | --- |'],
      d.requirements.map((r) => {
        const ev = r.evidence.map((e) => `${mdCode(e.gate)} ${e.passed}/${e.tests}`).join(', ') || 'no matching tests';
        const problems = [
          ...r.unmatched.map((p) => `${mdCode(p)} matched no test`),
          ...r.failed.map((t) => `${mdCode(t.id)} ${escapeMarkdown(t.status)}`),
          ...r.notRun.map((t) => `${mdCode(t.id)} did not run`),
          ...r.unproven.map((t) => `${mdCode(t.id)} ${escapeMarkdown(t.reason)}`),
        ];
        const shown = problems.slice(0, 10).join('<br>') + (problems.length > 10 ? `<br>… and ${problems.length - 10} more` : '');
        return `| ${mdCode(r.id)}${r.title !== r.id ? ` ${escapeMarkdown(r.title)}` : ''} | **${r.status.toUpperCase()}** | ${ev}${shown ? `<br>${shown}` : ''} |`;
      }),
      'requirements',
    );
  }

  const drift = driftRows(d);
  if (drift.length) {
    doc.section(
      ['### Drift against the baseline', '', '| Gate | Check | Value | Expected | Verdict | Baseline |', '| --- | --- | --- | --- | --- | --- |'],
      drift.map((r) => `| ${mdCode(r.gate)} | ${mdCode(r.check)} | ${escapeMarkdown(r.actual)} | ${escapeMarkdown(r.expected)} | ${r.verdict === 'ok' ? '✅ ok' : r.verdict === 'warn' ? '⚠️ warn' : '❌ fail'} | ${escapeMarkdown(shorten(r.message ?? '', 400))} |`),
      'drift checks',
    );
  }

  // Failed checks of gates that are not a plain pass (what was expected, what was found).
  const failedChecks = d.gates.flatMap((g) => (g.status === 'pass' || g.status === 'skip' ? [] : g.checks.filter((c) => !c.ok && !/\bbaseline\b/.test(c.check)).map((c) => ({ g, c }))));
  if (failedChecks.length) {
    doc.section(
      ['### Failed checks', '', '| Gate | Check | Expected | Got |', '| --- | --- | --- | --- |'],
      failedChecks.map(({ g, c }) => `| ${mdCode(g.id)} | ${mdCode(shorten(c.check, 300))} | ${escapeMarkdown(shorten(c.expected, 200))} | ${escapeMarkdown(shorten(c.actual, 300))} |`),
      'failed checks',
    );
  }

  const withFindings = d.gates.filter((g) => g.findings?.length);
  if (withFindings.length) {
    const rows = withFindings.flatMap((g) =>
      g.findings!.map((f) => {
        const where = f.file ? mdCode(`${f.file}${f.line !== undefined ? `:${f.line}` : ''}`) : '(no location)';
        return `| ${mdCode(g.id)} | ${escapeMarkdown(f.level.toUpperCase())} | ${mdCode(`${f.tool} ${f.rule}`)}${f.new ? ' **new**' : ''} | ${where} | ${escapeMarkdown(shorten(f.message, 300))} |`;
      }),
    );
    const total = withFindings.reduce((s, g) => s + Math.max(g.findingsTotal ?? 0, g.findings!.length), 0);
    doc.section(['### Findings', '', '| Gate | Level | Rule | Location | Message |', '| --- | --- | --- | --- | --- |'], rows, 'findings', total);
  }

  // Short sections before the failing tests, which can fill any budget on their own.
  const pendings = d.gates.filter((g) => g.status === 'pending' && g.approveCommand);
  if (pendings.length) doc.section(['### Awaiting approval', ''], pendings.map((g) => `- ${mdCode(g.id)}: ${mdCode(g.approveCommand!)}`), 'approvals');

  const warnings = [...d.gates.flatMap((g) => g.warnings.map((w) => `${mdCode(g.id)} ${escapeMarkdown(shorten(w, 500))}`)), ...d.warnings.map((w) => escapeMarkdown(shorten(w, 500)))];
  if (warnings.length) doc.section(['### Warnings', ''], warnings.map((w) => `- ${w}`), 'warnings');

  const perGate = opts.testsPerGate ?? 1000;
  for (const g of d.gates) {
    const failing = g.failingTests;
    if (!failing.length) continue;
    const head = [`### Failing tests — ${mdCode(g.id)} (${failing.length})`, ''];
    const items = (function* () {
      for (const t of failing.slice(0, perGate)) {
        const label = `${t.quarantined ? 'QUARANTINED ' : ''}${mdCode(t.id)} ${escapeMarkdown(t.status)}`;
        if (opts.compact || !t.message) yield `- ${label}`;
        else yield `<details><summary>${label}</summary>\n\n${mdPre(excerpt(t.message))}\n\n</details>`;
      }
    })();
    doc.section(head, items, 'failing tests', failing.length);
    if (!opts.compact && blocksRelease(g) && g.logTail?.length && g.status !== 'pending') {
      const tail = g.logTail.slice(-20).join('\n');
      if (!doc.add(`<details><summary>last ${Math.min(20, g.logTail.length)} log lines of ${mdCode(g.id)}</summary>\n\n${mdPre(tail)}\n\n</details>\n`)) doc.skip('log tails');
    }
  }

  const tail: string[] = [];
  const omitted = [...doc.omitted].filter(([, n]) => n > 0);
  if (omitted.length) {
    tail.push(`> **… and ${omitted.map(([what, n]) => `${n} more ${what}`).join(', ')}** not shown here${opts.budget !== undefined ? ` (this summary is kept under ${formatBytes(opts.budget)})` : ''}: the full decision is ${mdCode('decision.json')} in the run folder.`, '');
  }
  const ann = opts.annotationsOmitted;
  if (ann && ann.error + ann.warning > 0) {
    tail.push(`> ${ann.error + ann.warning} more annotation${ann.error + ann.warning > 1 ? 's' : ''} (${ann.error} error${ann.error === 1 ? '' : 's'}, ${ann.warning} warning${ann.warning === 1 ? '' : 's'}) beyond the CI's per-step limit are listed above.`, '');
  }
  tail.push(`<sub>shipgate · run ${mdCode(d.runId)} · ${escapeMarkdown(d.startedAt)}</sub>`);
  return doc.finish(tail);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} B`;
}
