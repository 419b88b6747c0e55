/**
 * In an Azure-Pipelines-shaped environment (TF_BUILD=True) one `shipgate run` prints its issues,
 * the summary upload and the output variables as `##vso` commands on stdout — and the only
 * commands the agent finds in the whole log are those: a test named
 * `##vso[task.complete result=Succeeded]` is printed defused.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { azureCommands } from '../fixtures/ci/runners.js';
import { SECRET, ciProject } from '../fixtures/ci/project.js';
import { removeProject, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeProject(d);
});

describe('Azure Pipelines', () => {
  it('logging commands for issues, summary and variables; nothing a gate wrote is a command', async () => {
    const dir = await ciProject({ fail: true });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { TF_BUILD: 'True', API_TOKEN: SECRET } });
    expect(r.code).toBe(1);
    const cmds = azureCommands(`${r.stdout}\n${r.stderr}`);
    const names = [...new Set(cmds.map((c) => c.command))].sort();
    expect(names).toEqual(['task.logissue', 'task.setvariable', 'task.uploadsummary']);
    expect(cmds.filter((c) => c.command === 'task.logissue' && c.properties.type === 'error').length).toBeLessThanOrEqual(10);
    expect(Object.fromEntries(cmds.filter((c) => c.command === 'task.setvariable').map((c) => [c.properties.variable, c.message]))).toMatchObject({ result: 'BLOCKED', version: '1.2.3' });
    // The hostile test name is in the log, defused.
    expect(r.stdout).toContain('##vso\\[task.complete result=Succeeded]');
    const upload = cmds.find((c) => c.command === 'task.uploadsummary')!;
    expect(existsSync(upload.message)).toBe(true);
    const md = await readFile(upload.message, 'utf8');
    expect(md).toContain('⛔ RELEASE BLOCKED');
    expect(md).not.toContain(SECRET);
    expect(r.stdout).not.toContain(SECRET);
  });

  it('--json keeps stdout one JSON document whose strings are the same (##vso[ written \\u005b), commands on stderr', async () => {
    const dir = await ciProject({ fail: true });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history', '--json'], { cwd: dir, env: { TF_BUILD: 'True' } });
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as { gates: { failingTests: { id: string }[] }[] };
    expect(d.gates.flatMap((g) => g.failingTests.map((t) => t.id))).toContain('tests/test_api.py::##vso[task.complete result=Succeeded]');
    expect(azureCommands(r.stdout)).toEqual([]);
    expect(azureCommands(r.stderr).some((c) => c.command === 'task.setvariable')).toBe(true);
  });

  it('a ready run: result READY, no error issue', async () => {
    const dir = await ciProject({ fail: false });
    dirs.push(dir);
    const r = await runCli(['run', '1.2.3', '--no-history'], { cwd: dir, env: { TF_BUILD: 'True' } });
    expect(r.code).toBe(0);
    const cmds = azureCommands(r.stdout);
    expect(cmds.filter((c) => c.properties.type === 'error')).toEqual([]);
    expect(cmds.find((c) => c.properties.variable === 'result')!.message).toBe('READY');
  });
});
