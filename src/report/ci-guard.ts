/**
 * Nothing shipgate prints from a gate can act as a CI command. CI runners read their job log for
 * commands: GitHub Actions a line that starts (after spaces) with `::` or `##[`, Azure Pipelines
 * `##vso[` anywhere in a line. The terminal summary prints test names, messages and reasons that a
 * gate chose, so in those CIs shipgate's human output is guarded:
 *
 * - GitHub Actions: `::stop-commands::TOKEN` before anything else (TOKEN random, never printed
 *   again before its use), so every line shows as text; shipgate resumes commands with `::TOKEN::`
 *   only to print its own annotations, and stops them again right after.
 * - Azure Pipelines: there is no way to stop the agent reading commands, so the text is changed:
 *   `##vso[` becomes `##vso\[` and `##[` becomes `##\[` (case-insensitively) — readable, inert.
 *
 * Other CIs (GitLab, Buildkite, Jenkins, …) take no commands from plain log text; escape sequences
 * (GitLab's section markers, Buildkite's inline images) are already removed by `printable`.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

export interface CommandGuard {
  /** Lines that let the CI read commands again (printed right before shipgate's own). */
  resume(): string[];
  /** Lines that stop the CI reading commands. */
  stop(): string[];
  /** The stream to print human output through. */
  wrap<S extends Writable & { isTTY?: boolean; columns?: number }>(stream: S): S;
}

/** Azure: `##vso[` and `##[` lose their meaning, keep their look. */
export function defuseAzure(text: string): string {
  return text.replace(/##(vso)?\[/gi, (m) => `${m.slice(0, -1)}\\[`);
}

function passthrough<S extends Writable & { isTTY?: boolean; columns?: number }>(raw: S, change: (s: string) => string): S {
  const w = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      // Passed on at once (no buffering here), so the order with direct writes to `raw` holds.
      raw.write(change(chunk.toString()));
      done();
    },
  }) as unknown as S;
  Object.defineProperty(w, 'isTTY', { value: raw.isTTY });
  Object.defineProperty(w, 'columns', { get: () => raw.columns });
  return w;
}

export function githubGuard(): CommandGuard {
  let token = randomBytes(16).toString('hex');
  let stopped = false;
  return {
    stop() {
      token = randomBytes(16).toString('hex');
      stopped = true;
      return [`::stop-commands::${token}`];
    },
    resume() {
      if (!stopped) return [];
      stopped = false;
      return [`::${token}::`];
    },
    wrap: (s) => s,
  };
}

export function azureGuard(): CommandGuard {
  return { stop: () => [], resume: () => [], wrap: (s) => passthrough(s, defuseAzure) };
}

/** The guard for a CI vendor (ci-info's constant), if that CI reads commands from the log. */
export function guardFor(vendor: string | undefined): CommandGuard | undefined {
  if (vendor === 'GITHUB_ACTIONS') return githubGuard();
  if (vendor === 'AZURE_PIPELINES') return azureGuard();
  return undefined;
}
