/**
 * GitHub Actions, in its own forms:
 * - the job summary: GitHub-flavoured Markdown appended to `$GITHUB_STEP_SUMMARY`, kept under
 *   GitHub's 1 MiB per step (less what the step already wrote there), ending with "… N more"
 *   rather than being cut;
 * - annotations: `::error file=…,line=…,title=…::message` workflow commands, blocking first and new
 *   first, at most 10 errors and 10 warnings (GitHub's per-step limits); the rest are counted in
 *   the summary;
 * - outputs: `result`, `version` and `run-id` in `$GITHUB_OUTPUT`, each in the multi-line
 *   `name<<DELIMITER` form with a random delimiter, so no value can add an output of its own.
 *
 * While shipgate runs in GitHub Actions, workflow commands are stopped (`::stop-commands::TOKEN`,
 * see ci-guard.ts): a test named `::error::fake` in the terminal summary is printed as text. They
 * are resumed only for shipgate's own annotations.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import type { Decision } from '../decide/types.js';
import { printable } from '../util/printable.js';
import { safeWriteFile } from '../run/safe-write.js';
import type { CommandGuard } from './ci-guard.js';
import { escapeGithubData, escapeGithubProperty } from './escape.js';
import { formatMarkdown } from './markdown.js';
import type { Reporter } from './reporter.js';
import { appendFileSafe, fileSize, type SinkContext } from './sinks.js';
import { capIssues, rankedIssues, type Issue } from './view.js';

/** GitHub's limit for one step's job summary. */
export const GITHUB_SUMMARY_LIMIT = 1024 * 1024;
/** GitHub shows at most this many annotations of each level per step. */
export const GITHUB_ANNOTATION_LIMIT = { error: 10, warning: 10 };

/** A path as GitHub links it: relative to the workspace (the repository checkout). */
function workspacePath(file: string, workspace: string | undefined): string {
  const p = file.replace(/\\/g, '/');
  if (workspace && isAbsolute(p)) {
    const rel = relative(workspace, p);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return rel;
  }
  return p.replace(/^\.\//, '');
}

export function annotationLine(i: Issue, workspace?: string): string {
  const props = [
    ...(i.file ? [`file=${escapeGithubProperty(workspacePath(i.file, workspace))}`] : []),
    ...(i.file && i.line !== undefined ? [`line=${Math.max(1, Math.floor(i.line))}`] : []),
    `title=${escapeGithubProperty(i.title.slice(0, 200))}`,
  ];
  // A message of 10,000 lines is not an annotation: its first lines, bounded.
  const lines = i.message.replace(/\r\n?/g, '\n').split('\n');
  let message = lines.slice(0, 20).join('\n');
  if (message.length > 4000) message = `${message.slice(0, 4000)}…`;
  if (lines.length > 20) message += `\n… (${lines.length - 20} more lines)`;
  return `::${i.level} ${props.join(',')}::${escapeGithubData(message)}`;
}

export function githubAnnotations(d: Decision, workspace?: string): { lines: string[]; omitted: { error: number; warning: number } } {
  const { shown, omitted } = capIssues(rankedIssues(d), GITHUB_ANNOTATION_LIMIT);
  return { lines: shown.map((i) => annotationLine(i, workspace)), omitted };
}

/** `name<<DELIM\nvalue\nDELIM` lines for `$GITHUB_OUTPUT`; the delimiter is random and never inside a value. */
export function githubOutputs(values: Record<string, string>): string {
  let text = '';
  for (const [name, raw] of Object.entries(values)) {
    const value = printable(raw);
    let delim = `ghadelimiter_${randomUUID()}`;
    while (value.includes(delim)) delim = `ghadelimiter_${randomUUID()}`;
    text += `${name}<<${delim}\n${value}\n${delim}\n`;
  }
  return text;
}

export function githubReporter(path: string | undefined, ctx: SinkContext, guard?: CommandGuard): Reporter {
  return {
    async onDecision(d) {
      const workspace = ctx.env.GITHUB_WORKSPACE || ctx.rootDir;
      const { lines, omitted } = githubAnnotations(d, workspace);
      // Annotations: shipgate's own commands, the only ones resumed.
      const resume = guard?.resume() ?? [];
      for (const l of [...resume, ...lines, ...(guard?.stop() ?? [])]) ctx.commands.write(`${l}\n`);

      const summaryPath = path ?? ctx.env.GITHUB_STEP_SUMMARY;
      if (summaryPath) {
        const budget = GITHUB_SUMMARY_LIMIT - (path ? 0 : await fileSize(summaryPath));
        const md = formatMarkdown(d, { budget: Math.max(budget, 4096), annotationsOmitted: omitted });
        if (path) await safeWriteFile(summaryPath, md);
        else await appendFileSafe(summaryPath, md);
      } else ctx.warn('GITHUB_STEP_SUMMARY is not set: no job summary was written');

      if (ctx.env.GITHUB_OUTPUT) await appendFileSafe(ctx.env.GITHUB_OUTPUT, githubOutputs({ result: d.result, version: d.version, 'run-id': d.runId }));
      else ctx.warn('GITHUB_OUTPUT is not set: the step outputs result, version and run-id were not written');
    },
  };
}
