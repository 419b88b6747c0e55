/**
 * What the CI reporters share: the parts of a decision each sink shows (drift checks, the issues
 * that become annotations, in the order they matter). Pure: Decision in, plain records out.
 */
import type { Check, Decision, GateVerdict } from '../decide/types.js';

/** A gate that is one of the reasons the release is blocked. */
export function blocksRelease(g: GateVerdict): boolean {
  return g.severity === 'block' && (g.status === 'fail' || g.status === 'cancelled' || g.status === 'not-run' || g.status === 'pending');
}

export interface DriftRow {
  gate: string;
  check: string;
  actual: string;
  expected: string;
  verdict: 'ok' | 'warn' | 'fail';
  message?: string;
}

/** Checks against a baseline (`… within baseline`, `… >= baseline - 1%`), with how the baseline was made. */
export function driftRows(d: Decision): DriftRow[] {
  const rows: DriftRow[] = [];
  for (const g of d.gates) {
    for (const c of g.checks) {
      if (!/\bbaseline\b/.test(c.check)) continue;
      rows.push({ gate: g.id, check: c.check, actual: c.actual, expected: c.expected, verdict: checkVerdict(c, g), ...(c.message ? { message: c.message } : {}) });
    }
  }
  return rows;
}

function checkVerdict(c: Check, g: GateVerdict): DriftRow['verdict'] {
  if (c.ok) return c.severity === 'warn' && c.message?.startsWith('no baseline') ? 'warn' : 'ok';
  const sev = c.severity ?? g.severity;
  return sev === 'block' ? 'fail' : 'warn';
}

export interface Issue {
  level: 'error' | 'warning';
  /** Part of why the release is blocked. */
  blocking: boolean;
  /** New against the baseline (findings), or newly flaky. */
  isNew: boolean;
  file?: string;
  line?: number;
  title: string;
  message: string;
}

/** The file part of a stable test id (`tests/test_api.py::test_x` → `tests/test_api.py`), when it looks like a path. */
export function testFile(id: string): string | undefined {
  const at = id.indexOf('::');
  if (at <= 0) return undefined;
  const scope = id.slice(0, at);
  return /^[\w.@/-]+\.[A-Za-z0-9]+$/.test(scope) && !/^\.|\/\.\.?\//.test(scope) ? scope : undefined;
}

/**
 * Everything worth an annotation, ranked: blocking before non-blocking, new before known, then in
 * the decision's order (gates in declaration order, their findings most severe first).
 */
export function rankedIssues(d: Decision): Issue[] {
  const out: Issue[] = [];
  for (const g of d.gates) {
    const blocking = blocksRelease(g);
    const failing = g.status === 'fail' || g.status === 'warn' || blocking;
    if (!failing && g.warnings.length === 0) continue;
    const level: Issue['level'] = blocking ? 'error' : 'warning';
    if (failing) {
      const headline = `${g.id}: ${g.status === 'pending' ? 'PENDING' : g.status.toUpperCase()}${g.reason ? ` — ${g.reason}` : ''}`;
      out.push({ level, blocking, isNew: false, title: `shipgate ${g.id}`, message: headline });
      for (const f of g.findings ?? []) {
        out.push({
          level,
          blocking,
          isNew: !!f.new,
          ...(f.file ? { file: f.file } : {}),
          ...(f.line !== undefined ? { line: f.line } : {}),
          title: `${f.tool} ${f.rule}${f.new ? ' (new)' : ''}`,
          message: f.message,
        });
      }
      for (const t of g.failingTests) {
        if (t.quarantined) continue;
        const inCwd = testFile(t.id);
        const file = inCwd && g.cwd ? `${g.cwd}/${inCwd}` : inCwd;
        out.push({ level, blocking, isNew: false, ...(file ? { file } : {}), title: `${g.id}: ${t.id} ${t.status}`, message: t.message ?? `${t.id} ${t.status}` });
      }
    }
    for (const w of g.warnings) out.push({ level: 'warning', blocking: false, isNew: w.startsWith('newly flaky'), title: `shipgate ${g.id}`, message: `${g.id}: ${w}` });
  }
  for (const r of d.requirements) {
    if (r.status === 'pass' || r.status === 'info') continue;
    const blocking = r.status === 'fail';
    const parts = [
      ...r.unmatched.map((p) => `${p}: no test of this run matches`),
      ...r.failed.map((t) => `${t.id} (${t.gate}) ${t.status}`),
      ...r.notRun.map((t) => `${t.id} (${t.gate}) did not run`),
      ...r.unproven.map((t) => `${t.id} (${t.gate}) ${t.reason}`),
    ];
    out.push({ level: blocking ? 'error' : 'warning', blocking, isNew: false, title: `requirement ${r.id}`, message: `${r.title}: ${r.status.toUpperCase()}${parts.length ? ` — ${parts.slice(0, 5).join('; ')}${parts.length > 5 ? `; … ${parts.length - 5} more` : ''}` : ''}` });
  }
  for (const w of d.warnings) out.push({ level: 'warning', blocking: false, isNew: false, title: 'shipgate', message: w });
  // Stable sort: blocking first, then new, keeping the decision's order within each.
  return out
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => Number(b.issue.blocking) - Number(a.issue.blocking) || Number(b.issue.isNew) - Number(a.issue.isNew) || a.i - b.i)
    .map((x) => x.issue);
}

/** Pick at most `max` issues of each level (GitHub shows 10 errors and 10 warnings per step); count the rest. */
export function capIssues(issues: Issue[], max: { error: number; warning: number }): { shown: Issue[]; omitted: { error: number; warning: number } } {
  const count = { error: 0, warning: 0 };
  const omitted = { error: 0, warning: 0 };
  const shown: Issue[] = [];
  for (const i of issues) {
    if (count[i.level] < max[i.level]) {
      count[i.level]++;
      shown.push(i);
    } else omitted[i.level]++;
  }
  return { shown, omitted };
}

/** `1.2.3` reads as v1.2.3; a tag or a bare commit stays as it is (as in the terminal summary). */
export function versionLabel(v: string): string {
  return /^\d+\.\d+/.test(v) ? `v${v}` : v;
}
