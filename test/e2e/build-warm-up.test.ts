/**
 * The build's warm-up (scripts/warm-cli.mjs), which makes the CLI's code cache by running commands,
 * a real `run` among them. It runs on developers' machines and in CI jobs, so it must act on
 * nothing of the builder's: no job summary, step output or annotation, no shared store. And a
 * build without the SQLite addon must still succeed. Each case runs the warm-up in a copy of this
 * build (its own dist/, so the repository's cache is never rewritten).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheStatus } from '../../src/cli/load-bundle.js';
import { cliEnv, installCopy, removeProject } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

/** This build, its warm-up script and the demo it plans, with hard-linked dependencies. */
async function buildCopy(addon: boolean): Promise<string> {
  const root = await installCopy('shipgate-warm-build-', ['dist', 'package.json', 'scripts/warm-cli.mjs', 'examples/demo']);
  dirs.push(root);
  if (!addon) await rm(join(root, 'node_modules', 'better-sqlite3', 'build'), { recursive: true, force: true });
  await rm(join(root, 'dist', 'cli', 'shipgate.cjs.cache'), { force: true });
  return root;
}

function warmUp(root: string, env: Record<string, string | undefined>) {
  return spawnSync(process.execPath, ['scripts/warm-cli.mjs'], { cwd: root, encoding: 'utf8', env: cliEnv({ NODE_OPTIONS: '', ...env }), timeout: 60_000 });
}

describe('the build warm-up', () => {
  it('HOSTILE: in a CI job with a shared store named, writes no summary, output or annotation, and opens no store but its own', async () => {
    const root = await buildCopy(true);
    const job = join(root, 'job');
    await mkdir(join(job, 'bin'), { recursive: true });
    const agentLog = join(job, 'buildkite-agent.log');
    // A buildkite-agent that records every call: an annotation would show here.
    await writeFile(join(job, 'bin', 'buildkite-agent'), `#!/bin/sh\necho "$@" >> ${JSON.stringify(agentLog)}\n`);
    chmodSync(join(job, 'bin', 'buildkite-agent'), 0o755);
    const r = warmUp(root, {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: join(job, 'summary.md'),
      GITHUB_OUTPUT: join(job, 'output.txt'),
      BUILDKITE: 'true',
      BUILDKITE_AGENT_ACCESS_TOKEN: 'token-1',
      // Nothing listens on port 1: a warm-up that used it would fail, or record a run in it.
      SHIPGATE_DATABASE_URL: 'postgres://warm:pw-5e6f@127.0.0.1:1/shared',
      PATH: `${join(job, 'bin')}:${process.env.PATH}`,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(job, 'summary.md'))).toBe(false);
    expect(existsSync(join(job, 'output.txt'))).toBe(false);
    expect(existsSync(agentLog)).toBe(false);
    // The history part ran, on the warm-up's own SQLite file.
    expect(r.stderr).not.toContain('warm-up without history');
    expect(r.stderr).not.toContain('pw-5e6f');
    expect(cacheStatus(join(root, 'dist', 'cli', 'shipgate.cjs'))).toBe('used');
  });

  it('succeeds without the SQLite addon (install scripts skipped): the cache is then made from plan alone', async () => {
    const root = await buildCopy(false);
    const r = warmUp(root, {});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('warm-up without history');
    expect(r.stderr).toContain('cannot load the SQLite driver');
    expect(cacheStatus(join(root, 'dist', 'cli', 'shipgate.cjs'))).toBe('used');
  });
});
