/**
 * Helpers for the history end-to-end tests: throwaway git projects whose gates copy evidence the
 * test wrote beforehand (so each run's reports are chosen by the test), and a CLI wrapper with a
 * fixed environment (no CI, no shared database) so the host never decides an outcome.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Decision } from '../../src/decide/types.js';
import { makeProject, NODE, runCli, shq, type CliResult } from './helpers.js';

export const HISTORY_FIXTURES = fileURLToPath(new URL('../fixtures/history/', import.meta.url));

/** `node <test/fixtures/history/script> args…` as a shell command. */
export function historyCmd(script: string, ...args: string[]): string {
  return [NODE, join(HISTORY_FIXTURES, script), ...args].map(shq).join(' ');
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Release Bot',
  GIT_AUTHOR_EMAIL: 'release@example.test',
  GIT_COMMITTER_NAME: 'Release Bot',
  GIT_COMMITTER_EMAIL: 'release@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
}

/** Commit everything in the project (the store and run folders are ignored); returns the new HEAD. */
export function commitAll(dir: string, subject: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', subject);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A project in a fresh git repository on branch main, with one commit of `files`. */
export async function makeGitProject(files: Record<string, string>): Promise<{ dir: string; sha: string }> {
  const dir = await makeProject({ '.gitignore': '.shipgate/\nreports/\nnext/\n*.state\n', ...files });
  git(dir, 'init', '-q', '-b', 'main');
  return { dir, sha: commitAll(dir, 'initial import') };
}

/** Write (or replace) a file in the project. */
export async function put(dir: string, rel: string, content: string): Promise<void> {
  const path = join(dir, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** The environment every history test runs the CLI with: local mode and the project's own SQLite file. */
export const BASE_ENV: Record<string, string | undefined> = { CI: undefined, SHIPGATE_DATABASE_URL: undefined, USER: 'tester' };

export function sg(dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: { ...BASE_ENV, ...env } });
}

/** `shipgate run VERSION --json`: the exit code and the decision printed on stdout. */
export async function runJson(
  dir: string,
  version: string,
  extra: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<{ res: CliResult; decision: Decision }> {
  const res = await sg(dir, ['run', version, '--json', ...extra], env);
  let decision: Decision;
  try {
    decision = JSON.parse(res.stdout) as Decision;
  } catch {
    throw new Error(`run ${version} printed no decision JSON (exit ${res.code}):\n${res.stderr}`);
  }
  return { res, decision };
}

/** `shipgate <cmd> --json` parsed; throws with the output when the command failed. */
export async function cliJson<T>(dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<T> {
  const res = await sg(dir, [...args, '--json'], env);
  if (res.code !== 0) throw new Error(`shipgate ${args.join(' ')} exited ${res.code}:\n${res.stderr}${res.stdout}`);
  return JSON.parse(res.stdout) as T;
}

export type TestOutcome = 'pass' | 'fail' | 'flaky';

/**
 * A JUnit file with one testcase per entry; ids are `classname::name`. `flaky` is a pass with a
 * `<flakyFailure>` (Surefire's rerun element): failed, then passed in the same run.
 */
export function junit(tests: Record<string, TestOutcome>): string {
  const cases = Object.entries(tests).map(([id, outcome]) => {
    const [classname, name] = id.split('::') as [string, string];
    const body =
      outcome === 'fail'
        ? '<failure message="assertion failed">expected 1, got 2</failure>'
        : outcome === 'flaky'
          ? '<flakyFailure message="timing">first try failed</flakyFailure>'
          : '';
    return `    <testcase classname="${classname}" name="${name}" time="0.01">${body}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="suite" tests="${cases.length}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

/** A `metrics-json` file with one metric. */
export function metricsFile(name: string, value: number, unit?: string): string {
  return `${JSON.stringify({ metrics: { [name]: unit ? { value, unit } : value } })}\n`;
}

/** The history list as `shipgate history --json` prints it. */
export interface HistoryJson {
  project: string;
  runs: {
    id: string;
    version: string;
    commit: string | null;
    branch: string | null;
    result: 'READY' | 'BLOCKED' | null;
    state: 'running' | 'finished' | 'interrupted';
    durationMs: number | null;
    retries: number;
  }[];
  retryRates: { gate: string; runs: number; retried: number; rate: number }[];
}
