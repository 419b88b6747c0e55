/**
 * Buildkite: the decision as a build annotation, through the agent's own command —
 * `buildkite-agent annotate --style error|success|warning --context shipgate-PROJECT`, the body
 * (Markdown, kept under Buildkite's 1 MiB) on standard input, never in an argument. The context
 * makes a rerun replace its annotation instead of adding one. Without `buildkite-agent` on PATH
 * nothing is annotated and shipgate says so.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Decision } from '../decide/types.js';
import { safeWriteFile } from '../run/safe-write.js';
import { formatMarkdown } from './markdown.js';
import type { Reporter } from './reporter.js';
import type { SinkContext } from './sinks.js';

export const BUILDKITE_ANNOTATION_LIMIT = 1024 * 1024;
const AGENT_TIMEOUT_MS = 10_000;

/** The agent's path on PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function buildkiteStyle(d: Decision): 'success' | 'warning' | 'error' {
  if (d.result === 'BLOCKED') return 'error';
  return d.partial || d.warnings.length || d.gates.some((g) => g.status === 'warn' || g.warnings.length) ? 'warning' : 'success';
}

/** A context is an identifier: letters, digits, `-`, `_`, `.` only. */
export function buildkiteContext(project: string): string {
  return `shipgate-${project.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80)}`;
}

function annotate(agent: string, args: string[], body: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(agent, args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`buildkite-agent annotate did not finish within ${AGENT_TIMEOUT_MS / 1000} s`));
    }, AGENT_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
    child.stdin!.on('error', () => {});
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`buildkite-agent annotate exited ${code ?? signal}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
    });
    child.stdin!.end(body);
  });
}

export function buildkiteReporter(path: string | undefined, ctx: SinkContext): Reporter {
  return {
    async onDecision(d) {
      const body = formatMarkdown(d, { budget: BUILDKITE_ANNOTATION_LIMIT });
      if (path) await safeWriteFile(path, body);
      const agent = findOnPath('buildkite-agent', ctx.env);
      if (!agent) {
        ctx.warn('buildkite-agent is not on PATH: no annotation was made');
        return;
      }
      await annotate(agent, ['annotate', '--style', buildkiteStyle(d), '--context', buildkiteContext(d.project)], body, ctx.env as Record<string, string>);
    },
  };
}
