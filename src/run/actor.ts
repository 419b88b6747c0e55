/** Who is acting: the CI's own record of who triggered the job, else the git user, else the login. */
import { execFile } from 'node:child_process';

/** CI systems' variables naming the person who started the job, most specific first. */
const CI_ACTOR_VARS = ['GITHUB_ACTOR', 'GITLAB_USER_LOGIN', 'BUILDKITE_BUILD_CREATOR', 'BUILD_REQUESTEDFOR', 'CIRCLE_USERNAME', 'DRONE_COMMIT_AUTHOR', 'BITBUCKET_STEP_TRIGGERER_UUID'];

function gitUser(cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['config', 'user.name'], { cwd, timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
}

export async function actorName(env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  for (const name of CI_ACTOR_VARS) {
    const v = env[name]?.trim();
    if (v) return v;
  }
  return (await gitUser(cwd)) ?? env.USER ?? env.LOGNAME ?? 'unknown';
}
