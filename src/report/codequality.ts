/**
 * Findings as a GitLab Code Quality report (`artifacts:reports:codequality`): a JSON array of
 * issues with `description`, `check_name`, `fingerprint`, `severity` (info, minor, major,
 * critical, blocker) and `location.path` + `location.lines.begin`, the subset of the Code Climate
 * spec GitLab reads. GitLab stops reading at the first issue it considers invalid and keys issues
 * by fingerprint, so every issue here is complete and every fingerprint is unique.
 *
 * The fingerprint is stable across runs: a hash of the tool, rule, file and message — not the line,
 * so moving code does not make an old finding look new (the same rule as shipgate's own baseline).
 * Findings without a file location are left out (GitLab shows issues on files); the decision holds
 * the findings behind failing findings checks, at most 20 per gate.
 */
import { createHash } from 'node:crypto';
import { relative, isAbsolute } from 'node:path';
import type { Decision, FindingSummary, GateVerdict } from '../decide/types.js';
import { printable } from '../util/printable.js';
import { blocksRelease } from './view.js';

export interface CodeQualityIssue {
  type: 'issue';
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  categories: string[];
  location: { path: string; lines: { begin: number } };
}

function severityOf(f: FindingSummary, g: GateVerdict): CodeQualityIssue['severity'] {
  if (f.level === 'error') return blocksRelease(g) ? (f.new ? 'blocker' : 'critical') : 'major';
  if (f.level === 'warning') return 'minor';
  return 'info';
}

/** GitLab links a path relative to the repository root; an absolute path inside it is made relative. */
function repoPath(file: string, root: string | undefined): string {
  const p = file.replace(/\\/g, '/');
  if (root && isAbsolute(p)) {
    const rel = relative(root, p);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split('\\').join('/');
  }
  return p.replace(/^\.\//, '');
}

export function codeQualityIssues(d: Decision, opts: { root?: string } = {}): CodeQualityIssue[] {
  const out: CodeQualityIssue[] = [];
  const seen = new Map<string, number>();
  for (const g of d.gates) {
    for (const f of g.findings ?? []) {
      if (!f.file) continue;
      const path = printable(repoPath(f.file, opts.root));
      const base = createHash('sha256').update([g.id, f.tool, f.rule, path, f.message].join('\u0000')).digest('hex').slice(0, 32);
      // The same finding twice (two lines, same message) still gets two fingerprints, stable by order.
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      const fingerprint = n === 0 ? base : createHash('sha256').update(`${base}#${n}`).digest('hex').slice(0, 32);
      out.push({
        type: 'issue',
        description: printable(`${f.message}${f.new ? ' (new)' : ''}`).slice(0, 4000),
        check_name: printable(`${f.tool}/${f.rule}`),
        fingerprint,
        severity: severityOf(f, g),
        categories: [f.level === 'error' && blocksRelease(g) ? 'Bug Risk' : 'Style'],
        location: { path, lines: { begin: f.line !== undefined && f.line >= 1 ? Math.floor(f.line) : 1 } },
      });
    }
  }
  return out;
}

export function formatCodeQuality(d: Decision, opts: { root?: string } = {}): string {
  return `${JSON.stringify(codeQualityIssues(d, opts), null, 2)}\n`;
}
