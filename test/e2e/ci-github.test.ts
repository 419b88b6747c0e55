/**
 * In a GitHub-Actions-shaped environment (GITHUB_ACTIONS, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT set,
 * files in a temp folder) one `shipgate run` leaves a correct job summary, annotations and step
 * outputs, and nothing a gate wrote acts as a workflow command.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { githubCommands } from '../fixtures/ci/runners.js';
import { SECRET, ciProject } from '../fixtures/ci/project.js';
import { onlyRunDecision, removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

async function githubRun(fail: boolean, args: string[] = [], env: Record<string, string> = {}) {
  const dir = await ciProject({ fail });
  dirs.push(dir);
  const summary = join(dir, 'gh', 'step_summary.md');
  const output = join(dir, 'gh', 'output.txt');
  await mkdir(join(dir, 'gh'));
  // An earlier command of the same step already wrote to both files: shipgate appends.
  await writeFile(summary, '# earlier content of this step\n');
  await writeFile(output, 'earlier=1\n');
  const r = await runCli(['run', '1.2.3', '--no-history', ...args], {
    cwd: dir,
    env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, GITHUB_WORKSPACE: dir, API_TOKEN: SECRET, ...env },
  });
  return { dir, r, summary, output };
}

function outputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([\w-]+)<<(ghadelimiter_[0-9a-f-]+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!;
  return out;
}

describe('GitHub Actions', () => {
  it('a blocked run: summary appended, annotations within the limits, outputs written, no injected command, secrets masked', async () => {
    const { dir, r, summary, output } = await githubRun(true);
    expect(r.code).toBe(1);
    const { decision } = await onlyRunDecision(dir);

    const cmds = githubCommands(r.stdout + r.stderr);
    expect(cmds.length).toBeGreaterThan(0);
    expect(cmds.every((c) => c.name === 'error' || c.name === 'warning')).toBe(true);
    expect(cmds.filter((c) => c.name === 'error').length).toBeLessThanOrEqual(10);
    // The hostile strings are printed (as text, while commands are stopped) and are data of shipgate's own annotations only.
    expect(r.stdout).toContain('::error::fake');
    expect(cmds.filter((c) => c.data === 'fake' || c.name.startsWith('legacy'))).toEqual([]);
    const a = cmds.find((c) => c.props.file === 'src/a.js')!;
    expect(a).toMatchObject({ name: 'error', props: { line: '3' } });
    expect(cmds[0]!.name).toBe('error');

    const md = await readFile(summary, 'utf8');
    expect(md.startsWith('# earlier content of this step\n')).toBe(true);
    expect(md).toContain('⛔ RELEASE BLOCKED');
    expect(md).toContain('&lt;img src\\=x onerror\\=alert\\(1\\)&gt;');
    expect(md).not.toContain('<img');
    expect(md).toContain('### Failing tests');
    expect(md).toContain('### Requirements');
    expect(md).toContain('### Findings');
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(1024 * 1024);

    const out = await readFile(output, 'utf8');
    expect(out.startsWith('earlier=1\n')).toBe(true);
    expect(outputs(out)).toEqual({ result: 'BLOCKED', version: '1.2.3', 'run-id': decision.runId });

    for (const text of [r.stdout, r.stderr, md, out]) expect(text).not.toContain(SECRET);
  });

  it('a ready run: READY outputs, no error annotation, exit 0', async () => {
    const { r, summary, output } = await githubRun(false);
    expect(r.code).toBe(0);
    expect(githubCommands(r.stdout).filter((c) => c.name === 'error')).toEqual([]);
    expect(await readFile(summary, 'utf8')).toContain('✅ RELEASE READY');
    expect(outputs(await readFile(output, 'utf8')).result).toBe('READY');
  });

  it('--no-ci-report writes no summary and no annotation (commands stay stopped around the output)', async () => {
    const { r, summary } = await githubRun(true, ['--no-ci-report']);
    expect(r.code).toBe(1);
    expect(await readFile(summary, 'utf8')).toBe('# earlier content of this step\n');
    expect(githubCommands(r.stdout)).toEqual([]);
  });

  it('a default CI report that fails says so and leaves the decision and exit code alone; a requested one is a failed output', async () => {
    const dflt = await githubRun(false, [], { GITHUB_STEP_SUMMARY: '/dev/null' });
    expect(dflt.r.code).toBe(0);
    expect(dflt.r.stderr).toMatch(/the github report failed: .*\/dev\/null is a device.*\(the decision is unchanged\) — a default CI report; the exit code is unchanged/);
    const asked = await githubRun(false, ['--report', 'github'], { GITHUB_STEP_SUMMARY: '/dev/null' });
    expect(asked.r.code).toBe(2);
    expect(asked.r.stdout).toContain('RELEASE READY');
    expect(asked.r.stderr).toContain('(the decision is unchanged)');
  });
});
