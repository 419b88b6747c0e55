/** What the repository says about this version: tag description, commit, branch. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
}

export interface GitInfo {
  sha: string | null;
  branch: string | null;
  describe: string | undefined;
}

export async function gitInfo(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<GitInfo> {
  const [sha, branch, describe] = await Promise.all([
    git(cwd, ['rev-parse', 'HEAD']),
    git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(cwd, ['describe', '--tags', '--always']),
  ]);
  // CI checkouts are often detached; the CI system names the branch.
  const ciBranch = env.SHIPGATE_BRANCH ?? env.GITHUB_HEAD_REF ?? env.GITHUB_REF_NAME ?? env.CI_COMMIT_REF_NAME ?? env.BRANCH_NAME;
  return { sha: sha ?? null, branch: branch && branch !== 'HEAD' ? branch : (ciBranch ?? null), describe };
}

/** VERSION default: `git describe --tags --always`, else package.json's version, else `0.0.0-unversioned`. */
export async function defaultVersion(cwd: string, info: GitInfo): Promise<string> {
  if (info.describe) return info.describe;
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
