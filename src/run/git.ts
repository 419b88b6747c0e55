/** What the repository says about this version: tag description, commit, branch, working tree. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TreeState } from '../decide/types.js';

function git(cwd: string, args: string[], maxBuffer = 1024 * 1024): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 10_000, maxBuffer }, (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
}

/** Like `git`, but keeps the output as it is (NUL-separated lists) and tells "failed" from "empty". */
function gitRaw(cwd: string, args: string[], maxBuffer = 64 * 1024 * 1024): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 30_000, maxBuffer, encoding: 'buffer' }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

export interface GitInfo {
  sha: string | null;
  branch: string | null;
  /** `git describe --tags --always`, asked only when the version is not given (see defaultVersion). */
  describe?: Promise<string | undefined>;
}

/**
 * The commit and branch, from one git process (the two answers of `rev-parse HEAD --abbrev-ref
 * HEAD`; an unborn branch or no repository fails both alike). A run waits for git before its
 * first gate, and every git process costs a fork of this one.
 */
export async function gitInfo(cwd: string, env: NodeJS.ProcessEnv = process.env, opts: { describe?: boolean } = {}): Promise<GitInfo> {
  const describe = opts.describe === false ? undefined : git(cwd, ['describe', '--tags', '--always']);
  const [sha, branch] = (await git(cwd, ['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD']))?.split('\n') ?? [];
  // CI checkouts are often detached; the CI system names the branch.
  const ciBranch = env.SHIPGATE_BRANCH ?? env.GITHUB_HEAD_REF ?? env.GITHUB_REF_NAME ?? env.CI_COMMIT_REF_NAME ?? env.BRANCH_NAME;
  return { sha: sha || null, branch: branch && branch !== 'HEAD' ? branch : (ciBranch ?? null), describe };
}

/** Where the default branch may be, in the order it is looked for after origin/HEAD. */
const DEFAULT_BRANCH_REFS = ['refs/heads/main', 'refs/heads/master', 'refs/remotes/origin/main', 'refs/remotes/origin/master'];
const ORIGIN = 'refs/remotes/origin/';

/**
 * The branch baselines come from when the configuration names none: the repository's default
 * branch as the remote says (origin/HEAD), else `main` or `master`, whichever exists (local
 * branches first, then origin's); `main` when neither does (every baseline check then says no run
 * was ever recorded there). One git process answers all of it: a run waits for this before its
 * first gate, and five in a row (one per question) took 25 ms.
 */
export async function defaultBranch(cwd: string): Promise<string> {
  const out = await git(cwd, ['for-each-ref', '--format=%(refname) %(symref)', `${ORIGIN}HEAD`, ...DEFAULT_BRANCH_REFS]);
  const refs = new Map((out ?? '').split('\n').map((line) => [line.split(' ')[0]!, line.split(' ')[1] ?? ''] as const));
  const remoteHead = refs.get(`${ORIGIN}HEAD`);
  if (remoteHead?.startsWith(ORIGIN) && remoteHead.length > ORIGIN.length) return remoteHead.slice(ORIGIN.length);
  const found = DEFAULT_BRANCH_REFS.find((ref) => refs.has(ref));
  return found ? found.slice(found.lastIndexOf('/') + 1) : 'main';
}

/** shipgate's own folders (run logs, the SQLite store) are never part of what is released; the whole repository is, from wherever the config is. */
const PATHSPEC = [':(top)', ':(top,exclude,glob)**/.shipgate/**', ':(top,exclude,glob)**/.shipgate'];

async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The working tree against HEAD: tracked changes, staged changes, and untracked files that are not
 * ignored, with a fingerprint over their content so two runs can tell whether they saw the same
 * tree. `null` outside a git repository (or without git).
 */
export async function treeState(cwd: string): Promise<TreeState | null> {
  // Paths in porcelain output are relative to the top of the repository, wherever git runs.
  const status = await gitRaw(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...PATHSPEC]);
  if (status === undefined) return null;
  // Entries are NUL-separated; a rename/copy entry is followed by its source path.
  const parts = status.toString('utf8').split('\0').filter(Boolean);
  const files: { code: string; path: string }[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    const code = entry.slice(0, 2);
    files.push({ code, path: entry.slice(3) });
    if (code[0] === 'R' || code[0] === 'C') i++;
  }
  if (files.length === 0) return { dirty: false, files: 0, fingerprint: null };
  // A dirty tree (rare where releases are made) costs two more processes; a clean one, none.
  const top = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (!top) return null;
  const h = createHash('sha256');
  // Tracked and staged changes, as one binary diff against the commit (an unborn branch has none).
  const diff = await gitRaw(top, ['diff', 'HEAD', '--binary', '--no-color', '--no-ext-diff', '--', ...PATHSPEC]);
  if (diff) h.update(diff);
  for (const f of files.filter((x) => x.code === '??').sort((a, b) => (a.path < b.path ? -1 : 1))) {
    h.update(`\0untracked\0${f.path}\0`);
    try {
      h.update(await sha256OfFile(join(top, f.path)));
    } catch {
      h.update('unreadable');
    }
  }
  return { dirty: true, files: files.length, fingerprint: h.digest('hex') };
}

/** VERSION default: `git describe --tags --always`, else package.json's version, else `0.0.0-unversioned`. */
export async function defaultVersion(cwd: string, info: GitInfo): Promise<string> {
  const described = await (info.describe ?? git(cwd, ['describe', '--tags', '--always']));
  if (described) return described;
  try {
    const pkg = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string' && pkg.version) return pkg.version;
  } catch {
    // no package.json: fall through
  }
  return '0.0.0-unversioned';
}

/** The full sha of a revision (`abc123`, a tag, `HEAD~1`), or undefined when git does not know it. */
export function resolveCommit(cwd: string, rev: string): Promise<string | undefined> {
  return git(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
}
