/**
 * What a run asks git, of real repositories: the commit, branch and version; the working tree's
 * state (what was tested, when it is not the commit); and the default branch baselines come from
 * (origin/HEAD first, then main or master, local then origin's, else `main`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultBranch, defaultVersion, gitInfo, treeState } from './git.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-git-'));
  dirs.push(dir);
  return dir;
}

/** A repository whose first branch is `first`, with one commit, and the other branches given. */
function repo(first: string, ...branches: string[]): string {
  const dir = folder();
  git(dir, 'init', '-q', '-b', first);
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'one');
  for (const b of branches) git(dir, 'branch', b);
  return dir;
}

/** A clone of `origin` (origin/HEAD set to its current branch), its local branch renamed to `local`. */
function cloneOf(origin: string, local: string): string {
  const dir = join(folder(), 'clone');
  git(origin, 'clone', '-q', origin, dir);
  git(dir, 'branch', '-m', local);
  return dir;
}

describe('defaultBranch', () => {
  it('is main outside a repository', async () => {
    expect(await defaultBranch(folder())).toBe('main');
  });

  it('is master when only master exists, main when both do', async () => {
    expect(await defaultBranch(repo('master'))).toBe('master');
    expect(await defaultBranch(repo('master', 'main'))).toBe('main');
  });

  it('is what origin/HEAD names, over a local main, with slashes kept', async () => {
    expect(await defaultBranch(cloneOf(repo('trunk', 'main'), 'main'))).toBe('trunk');
    expect(await defaultBranch(cloneOf(repo('release/2.x'), 'work'))).toBe('release/2.x');
  });

  it('finds origin’s master when no local branch is main or master', async () => {
    const clone = cloneOf(repo('master'), 'work');
    git(clone, 'remote', 'set-head', 'origin', '--delete');
    expect(await defaultBranch(clone)).toBe('master');
  });

  it('HOSTILE: a branch that only starts with main (main/x, mainline) is not main', async () => {
    expect(await defaultBranch(repo('master', 'main/x', 'mainline'))).toBe('master');
  });
});

describe('gitInfo and defaultVersion', () => {
  const NO_CI = {};

  it('outside a repository: no commit, no branch, and the version from package.json or a placeholder', async () => {
    const dir = folder();
    const info = await gitInfo(dir, NO_CI);
    expect({ sha: info.sha, branch: info.branch }).toEqual({ sha: null, branch: null });
    expect(await defaultVersion(dir, info)).toBe('0.0.0-unversioned');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '1.2.3' }));
    expect(await defaultVersion(dir, await gitInfo(dir, NO_CI))).toBe('1.2.3');
    // The CI system may still name the branch.
    expect((await gitInfo(dir, { SHIPGATE_BRANCH: 'feature/x' })).branch).toBe('feature/x');
  });

  it('on an unborn branch: no commit and no branch, as for no repository', async () => {
    const dir = folder();
    git(dir, 'init', '-q', '-b', 'main');
    const info = await gitInfo(dir, NO_CI);
    expect({ sha: info.sha, branch: info.branch }).toEqual({ sha: null, branch: null });
  });

  it('reads the commit and branch from one process, and describes the version only when asked', async () => {
    const dir = repo('main');
    git(dir, 'tag', 'v1.4.0');
    const sha = git(dir, 'rev-parse', 'HEAD').trim();
    const info = await gitInfo(dir, NO_CI);
    expect({ sha: info.sha, branch: info.branch }).toEqual({ sha, branch: 'main' });
    expect(await defaultVersion(dir, info)).toBe('v1.4.0');
    // Not asked up front (the version was given): the default still describes, when it is needed.
    const quiet = await gitInfo(dir, NO_CI, { describe: false });
    expect(quiet.describe).toBeUndefined();
    expect(await defaultVersion(dir, quiet)).toBe('v1.4.0');
  });

  it('HOSTILE: a detached checkout does not report the branch "HEAD"; the CI system names it or nobody does', async () => {
    const dir = repo('main');
    git(dir, 'checkout', '-q', '--detach');
    expect((await gitInfo(dir, NO_CI)).branch).toBeNull();
    expect((await gitInfo(dir, { GITHUB_HEAD_REF: 'pr-branch' })).branch).toBe('pr-branch');
  });
});

describe('treeState', () => {
  it('is null outside a repository, and clean for a committed tree', async () => {
    expect(await treeState(folder())).toBeNull();
    expect(await treeState(repo('main'))).toEqual({ dirty: false, files: 0, fingerprint: null });
  });

  it('HOSTILE: from a config in a subfolder, a change anywhere in the repository makes the tree dirty', async () => {
    const dir = repo('main');
    const sub = join(dir, 'services', 'api');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'app.js'), 'ok\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'app');
    expect(await treeState(sub)).toEqual({ dirty: false, files: 0, fingerprint: null });
    // A change outside the config's folder is still part of what is released.
    writeFileSync(join(dir, 'Makefile'), 'all:\n');
    const fromSub = await treeState(sub);
    expect(fromSub).toMatchObject({ dirty: true, files: 1 });
    expect(fromSub?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The same tree, seen from the top or from the subfolder, has the same fingerprint.
    expect(await treeState(dir)).toEqual(fromSub);
    // Another content, another fingerprint; a tracked edit counts too.
    writeFileSync(join(dir, 'Makefile'), 'all: test\n');
    expect((await treeState(sub))?.fingerprint).not.toBe(fromSub?.fingerprint);
    writeFileSync(join(sub, 'app.js'), 'changed\n');
    expect(await treeState(sub)).toMatchObject({ dirty: true, files: 2 });
  });

  it('HOSTILE: shipgate’s own folders do not count, at the top or in a subfolder; a file with a newline in its name does', async () => {
    const dir = repo('main');
    const sub = join(dir, 'app');
    mkdirSync(join(sub, '.shipgate', 'runs'), { recursive: true });
    mkdirSync(join(dir, '.shipgate'), { recursive: true });
    writeFileSync(join(sub, '.shipgate', 'runs', 'decision.json'), '{}');
    writeFileSync(join(dir, '.shipgate', 'history.db'), 'x');
    expect(await treeState(sub)).toEqual({ dirty: false, files: 0, fingerprint: null });
    writeFileSync(join(sub, 'odd\nname .txt'), 'x');
    expect(await treeState(sub)).toMatchObject({ dirty: true, files: 1 });
  });

  it('on an unborn branch: untracked files make it dirty, with no diff to take', async () => {
    const dir = folder();
    git(dir, 'init', '-q', '-b', 'main');
    expect(await treeState(dir)).toEqual({ dirty: false, files: 0, fingerprint: null });
    writeFileSync(join(dir, 'a.txt'), 'a');
    expect(await treeState(dir)).toMatchObject({ dirty: true, files: 1 });
  });
});
