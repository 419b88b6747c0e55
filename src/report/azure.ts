/**
 * Azure Pipelines logging commands on standard output:
 * - `##vso[task.logissue type=error|warning;sourcepath=…;linenumber=…;]message` for the issues,
 *   blocking first and new first, at most 10 of each type (the rest are counted in the summary);
 * - `##vso[task.uploadsummary]PATH`: the Markdown summary, written to PATH (default
 *   `.shipgate/reports/azure-summary.md`), shown on the build's summary tab;
 * - `##vso[task.setvariable variable=result|version|runId;isoutput=true]VALUE` for later steps.
 * Every property and message is escaped as the agent unescapes it (escape.ts); untrusted text in
 * the terminal output is defused (ci-guard.ts).
 */
import { resolve } from 'node:path';
import type { Decision } from '../decide/types.js';
import { safeWriteFile } from '../run/safe-write.js';
import { escapeVsoData, escapeVsoProperty } from './escape.js';
import { formatMarkdown } from './markdown.js';
import type { Reporter } from './reporter.js';
import type { SinkContext } from './sinks.js';
import { capIssues, rankedIssues, type Issue } from './view.js';

export const AZURE_ISSUE_LIMIT = { error: 10, warning: 10 };

export function logIssue(i: Issue): string {
  const props = [`type=${i.level}`, ...(i.file ? [`sourcepath=${escapeVsoProperty(i.file)}`] : []), ...(i.file && i.line !== undefined ? [`linenumber=${Math.max(1, Math.floor(i.line))}`] : [])];
  const lines = i.message.replace(/\r\n?/g, '\n').split('\n');
  let message = `${i.title}: ${lines.slice(0, 20).join('\n')}`;
  if (message.length > 4000) message = `${message.slice(0, 4000)}…`;
  return `##vso[task.logissue ${props.join(';')};]${escapeVsoData(message)}`;
}

export function azureCommands(d: Decision, summaryPath: string): { lines: string[]; omitted: { error: number; warning: number } } {
  const { shown, omitted } = capIssues(rankedIssues(d), AZURE_ISSUE_LIMIT);
  const lines = shown.map(logIssue);
  lines.push(`##vso[task.uploadsummary]${escapeVsoData(summaryPath)}`);
  for (const [name, value] of [['result', d.result], ['version', d.version], ['runId', d.runId]] as const) {
    lines.push(`##vso[task.setvariable variable=${name};isoutput=true]${escapeVsoData(value)}`);
  }
  return { lines, omitted };
}

export function azureReporter(path: string | undefined, ctx: SinkContext): Reporter {
  return {
    async onDecision(d) {
      const summaryPath = resolve(path ?? resolve(ctx.rootDir, '.shipgate', 'reports', 'azure-summary.md'));
      const { lines, omitted } = azureCommands(d, summaryPath);
      await safeWriteFile(summaryPath, formatMarkdown(d, { annotationsOmitted: omitted, budget: 4 * 1024 * 1024 }));
      for (const l of lines) ctx.commands.write(`${l}\n`);
    },
  };
}
