/**
 * Helpers for end-to-end tests of the real CLI: spawn `node dist/cli/main.cjs` as a child process,
 * write throwaway projects into temp dirs, and observe files and processes the gates leave behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Decision } from '../../src/decide/types.js';
import { ciDetectionVariables } from '../../src/run/ci.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(REPO, 'dist', 'cli', 'main.cjs');
export const FIXTURES = fileURLToPath(new URL('../fixtures/e2e/', import.meta.url));
export const NODE = process.execPath;

/** Absolute path of a fixture script in test/fixtures/e2e/. */
export const fixture = (name: string): string => join(FIXTURES, name);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  /** Merged over a clean copy of process.env; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  input?: string;
  /** Kill the CLI (SIGKILL) after this long; the test then fails on the exit code. Default 60s. */
  timeoutMs?: number;
  /** Another build's bin (default: this repository's `dist/cli/main.cjs`). */
  cli?: string;
}

/**
 * The child's environment: the host's, with CI removed unless the test sets it, so the host's CI
 * variable never decides a test, and colour off so output is plain text.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, CI: undefined };
  // Whatever CI this suite itself runs in (GitHub Actions, Jenkins, …) must not make a child think it is in CI.
  for (const k of ciDetectionVariables()) delete env[k];
  // vitest's worker variables must not leak into a vitest a gate runs.
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'TEST' || k === 'NODE_ENV') delete env[k];
  Object.assign(env, extra);
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Start the CLI without waiting for it (for signal tests). */
export function startCli(args: string[], opts: CliOptions): CliProcess {
  const child = spawn(NODE, [opts.cli ?? CLI, ...args], { cwd: opts.cwd, env: cliEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin!.on('error', () => {});
  child.stdin!.end(opts.input ?? '');
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** Run `shipgate <args>` to completion. */
export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A throwaway project: files (relative path → content) written into a fresh temp dir. */
export async function makeProject(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-e2e-'));
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
  return dir;
}

export async function removeProject(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `path` exists; rejects after `timeoutMs` (a bound, never a measurement). */
export async function waitForFile(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    await sleep(25);
  }
}

/** True while `pid` is a live process (a zombie counts as gone: only its parent can reap it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Pids the fixture scripts recorded (`*.pid` files in `dir`), by file name. Processes may take a
 * moment to be reaped after the CLI exits, so `waitGone` polls with a bound.
 */
export async function recordedPids(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.pid')) continue;
    const n = Number((await readFile(join(dir, name), 'utf8')).trim());
    if (Number.isInteger(n) && n > 0) out[name] = n;
  }
  return out;
}

/** The pids among `pids` still alive after waiting up to `timeoutMs` for them to go. */
export async function survivors(pids: Record<string, number>, timeoutMs = 5000): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = Object.fromEntries(Object.entries(pids).filter(([, pid]) => isAlive(pid)));
    if (Object.keys(alive).length === 0 || Date.now() > deadline) return alive;
    await sleep(50);
  }
}

/** Kill recorded pids that are still alive, so a failing test does not leave processes behind. */
export function killLeftovers(pids: Record<string, number>): void {
  for (const pid of Object.values(pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export { freePort } from '../fixtures/run/helpers.js';

/** The decision printed with `--json` (stdout must be exactly one JSON document). */
export function parseDecision(stdout: string): Decision {
  return JSON.parse(stdout) as Decision;
}

/** The decision.json of the only run under `<dir>/.shipgate/runs/`. */
export async function onlyRunDecision(dir: string): Promise<{ runDir: string; decision: Decision }> {
  const runs = await readdir(join(dir, '.shipgate', 'runs'));
  if (runs.length !== 1) throw new Error(`expected one run dir, found ${runs.length}`);
  const runDir = join(dir, '.shipgate', 'runs', runs[0]!);
  return { runDir, decision: JSON.parse(await readFile(join(runDir, 'decision.json'), 'utf8')) as Decision };
}

export function gate(d: Decision, id: string): Decision['gates'][number] {
  const g = d.gates.find((x) => x.id === id);
  if (!g) throw new Error(`no gate ${id} in decision (gates: ${d.gates.map((x) => x.id).join(', ')})`);
  return g;
}

/** JSON-quote a path for embedding in YAML (double-quoted YAML strings accept JSON escapes). */
export const q = (s: string): string => JSON.stringify(s);

/** `node <fixture> args…` as a shell command with each part quoted for sh. */
export function nodeCmd(script: string, ...args: string[]): string {
  return [NODE, fixture(script), ...args].map(shq).join(' ');
}

/** Single-quote for sh. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A date `days` from today (UTC), as YYYY-MM-DD: quarantines must end within 90 days. */
export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A copy of this build in a new temp folder: `parts` of the repository (dist/, package.json, …)
 * copied, and node_modules hard-linked, so a test may break its copy of a dependency in a moment.
 * Of the real folder: a node_modules that is a symlink would be copied as the link, and removals
 * in the copy would reach through it into the dependencies every other test uses. Files in the copy
 * are hard links: change one with `replaceFile`, never by writing to it.
 */
export async function installCopy(prefix: string, parts: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  for (const part of parts) await cp(join(REPO, part), join(root, part), { recursive: true });
  execFileSync('cp', ['-al', realpathSync(join(REPO, 'node_modules')), join(root, 'node_modules')]);
  return root;
}

/** Give `path`, a hard link into the real dependencies, contents of its own. */
export async function replaceFile(path: string, text: string): Promise<void> {
  await rm(path);
  await writeFile(path, text);
}
