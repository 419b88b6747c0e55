/**
 * The default branch baselines come from, read from real repositories: origin/HEAD first, then
 * main or master (local, then origin's), else `main`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultBranch } from './git.js';

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
